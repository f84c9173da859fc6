import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type _Object } from '@aws-sdk/client-s3';
import type { AppContext } from '../context.ts';
import { ensureSupplier, insertImport, markStaleReceivedImports, registeredSourceKeys } from './import-records.ts';
import { parseUploadKey } from './upload-key.ts';

async function hashObject(ctx: AppContext, key: string): Promise<string> {
  const object = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.config.buckets.uploads, Key: key }));
  const hash = createHash('sha256');
  for await (const chunk of object.Body as Readable) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function registerStoredObject(ctx: AppContext, object: _Object & { Key: string }): Promise<boolean> {
  const parsed = parseUploadKey(ctx.config.uploadsPrefix, object.Key);
  if (!parsed) {
    if (!object.Key.endsWith('/')) ctx.log.warn('upload ignored: key is not uploads/<supplier>/<file>', { key: object.Key });
    return false;
  }
  const bytes = object.Size ?? 0;
  const { maxUploadBytes } = ctx.config.limits;
  const supplierId = await ensureSupplier(ctx.db, parsed.supplierCode);
  // An oversized file is recorded as failed (not hashed, not parsed) so it is not rediscovered each tick.
  const tooLarge = bytes > maxUploadBytes;
  const importId = await insertImport(ctx.db, {
    supplierId,
    sourceKey: object.Key,
    fileName: parsed.fileName,
    fileHash: tooLarge ? null : await hashObject(ctx, object.Key),
    fileBytes: bytes,
    ...(tooLarge ? { error: `${bytes} bytes, over the ${maxUploadBytes}-byte limit (MAX_UPLOAD_BYTES)` } : {}),
  });
  if (importId !== undefined) ctx.log.info('upload discovered', { importId, sourceKey: object.Key });
  return importId !== undefined;
}

/**
 * Registers every object under the uploads prefix that has no import yet, so files dropped straight
 * into the bucket (`uploads/<supplier>/<file>`) are imported by the next tick. Returns how many it
 * registered; safe to run concurrently (source keys are unique, the loser's insert does nothing).
 */
export async function discoverUploads(ctx: AppContext): Promise<number> {
  let registered = 0;
  let continuationToken: string | undefined;
  do {
    const page = await ctx.s3.send(
      new ListObjectsV2Command({
        Bucket: ctx.config.buckets.uploads,
        Prefix: ctx.config.uploadsPrefix,
        ContinuationToken: continuationToken,
      }),
    );
    const objects = (page.Contents ?? []).filter((o): o is _Object & { Key: string } => o.Key !== undefined);
    const keys = objects.map((o) => o.Key);
    const known = await registeredSourceKeys(ctx.db, keys);
    const orphaned = await markStaleReceivedImports(ctx.db, keys);
    if (orphaned > 0) ctx.log.warn('uploads whose uploader stopped before registering them are imported now', { count: orphaned });
    for (const object of objects) {
      if (!known.has(object.Key) && (await registerStoredObject(ctx, object))) registered += 1;
    }
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
  return registered;
}
