import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Busboy } from '@fastify/busboy';
import { type SpooledFile, spoolToTempFile } from '../catalog/spool-to-file.ts';
import { fileUpload, type UploadContent } from '../catalog/upload-content.ts';
import { RequestValidationError } from './request-validation.ts';

/** A multipart upload read off the wire: its small fields, and its one file spooled to disk. */
export interface UploadForm {
  fields: Record<string, string>;
  file?: { name: string; content: UploadContent; path: string };
  /** Deletes the spooled file; call when done with it. */
  remove(): Promise<void>;
}

/**
 * Reads a `multipart/form-data` request as it arrives: the file goes to a temporary file (refused
 * past `maxFileBytes` while it streams), the other fields (a few, short) stay in memory. Memory is
 * a few stream chunks whatever the file's size; `parseBody` would hold the whole body, then copies.
 */
export async function readUploadForm(request: Request, maxFileBytes: number): Promise<UploadForm> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data/i.test(contentType) || !request.body) {
    throw new RequestValidationError(['form'], 'invalid form: send multipart/form-data with a file field');
  }
  const fields: Record<string, string> = {};
  let spooled: { name: string; file: SpooledFile } | undefined;
  let spooling: Promise<void> | undefined;
  const parser = Busboy({ headers: { 'content-type': contentType }, limits: { files: 1, fields: 10, fieldSize: 1024 } });
  parser.on('field', (name, value) => (fields[name] = value));
  parser.on('file', (_field, stream, fileName) => {
    // A file over the limit stops the whole read: the parser is destroyed with the reason, so the
    // pipeline below rejects with it instead of reading the rest of the body.
    spooling = spoolToTempFile(stream, maxFileBytes).then(
      (file) => void (spooled = { name: fileName, file }),
      (error: unknown) => void parser.destroy(error as Error),
    );
  });
  const remove = async () => spooled?.file.remove();
  try {
    await pipeline(Readable.fromWeb(request.body as import('node:stream/web').ReadableStream), parser);
    await spooling;
  } catch (error) {
    await spooling;
    await remove();
    throw error;
  }
  if (!spooled) return { fields, remove };
  try {
    return { fields, file: { name: spooled.name, path: spooled.file.path, content: await fileUpload(spooled.file.path) }, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
