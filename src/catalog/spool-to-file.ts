import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CatalogError, CatalogErrorKind } from './errors.ts';

export interface SpooledFile {
  path: string;
  /** Deletes the file (and its private directory); safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Writes a stream to a new file in its own directory under `os.tmpdir()` (Lambda's /tmp), refusing
 * past `maxBytes` while writing, so a lying object size cannot fill the disk. Memory stays flat.
 */
export async function spoolToTempFile(chunks: AsyncIterable<Uint8Array>, maxBytes: number): Promise<SpooledFile> {
  const dir = await mkdtemp(join(tmpdir(), 'catalog-upload-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, 'upload');
  let bytes = 0;
  try {
    await pipeline(async function* () {
      for await (const chunk of chunks) {
        bytes += chunk.length;
        if (bytes > maxBytes) {
          throw new CatalogError(CatalogErrorKind.tooLarge, `the file is over the ${maxBytes}-byte limit (MAX_UPLOAD_BYTES)`);
        }
        yield chunk;
      }
    }, createWriteStream(path));
  } catch (error) {
    await remove();
    throw error;
  }
  return { path, remove };
}
