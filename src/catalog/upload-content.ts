import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';

/**
 * A spreadsheet's bytes as registerUpload takes them: size and hash known up front (the import row
 * records them before the object is stored), the bytes streamed to S3 by `open`, so a file on disk
 * is never held in memory whole.
 */
export interface UploadContent {
  bytes: number;
  sha256: string;
  open(): Readable;
}

/** Bytes already in memory (tests, the demo's generated workbook). */
export function bufferUpload(body: Buffer): UploadContent {
  return { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), open: () => Readable.from([body]) };
}

/** A file on disk: hashed by reading it once as a stream, streamed again when stored. */
export async function fileUpload(path: string): Promise<UploadContent> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    bytes += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  const { size } = await stat(path);
  if (size !== bytes) throw new Error(`${path} changed while it was read`);
  return { bytes, sha256: hash.digest('hex'), open: () => createReadStream(path) };
}
