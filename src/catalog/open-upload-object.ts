import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CatalogError, CatalogErrorKind } from './errors.ts';

/**
 * S3 answering 4xx (NoSuchKey, AccessDenied) is about the object: retrying will not help. Anything
 * else (5xx, SlowDown, 408/429, a reset or timeout with no answer at all) is about the way there.
 */
function sourceError(location: string, error: unknown): CatalogError {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const objectsFault = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
  const message = error instanceof Error ? error.message || error.name : String(error);
  return new CatalogError(
    objectsFault ? CatalogErrorKind.sourceMissing : CatalogErrorKind.sourceUnavailable,
    `cannot read ${location}: ${message}`,
    { cause: error },
  );
}

/**
 * Streams an uploaded object. Failures to get it, or of the stream halfway through, become a
 * CatalogError: `source_unavailable` (transient, retried by a later tick) or `source_missing`.
 */
export async function openUploadObject(s3: S3Client, bucket: string, key: string): Promise<Readable> {
  const location = `s3://${bucket}/${key}`;
  let body: Readable;
  try {
    body = (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as Readable;
  } catch (error) {
    throw sourceError(location, error);
  }
  async function* guarded(): AsyncGenerator<Buffer> {
    try {
      yield* body;
    } catch (error) {
      throw sourceError(location, error);
    } finally {
      body.destroy();
    }
  }
  return Readable.from(guarded(), { objectMode: false });
}
