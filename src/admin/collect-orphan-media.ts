import { DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { AppContext } from '../context.ts';
import { AdminError, AdminErrorKind } from './errors.ts';

export interface MediaCollection {
  /** Image sources no product links any more (a supplier changed or removed the URL): deleted, or would be. */
  unlinkedSources: number;
  /** Objects under the media prefix. */
  scanned: number;
  /** Objects no image refers to and older than the grace period: deleted (or, dry run, would be). */
  orphans: number;
  deleted: number;
  dryRun: boolean;
  /** A few of the orphan keys, for the admin to see. */
  examples: string[];
}

const DELETE_BATCH = 1000;
const HEAD_CONCURRENCY = 16;

async function olderThan(ctx: AppContext, bucket: string, key: string, cutoff: number): Promise<boolean> {
  try {
    const head = await ctx.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return (head.LastModified?.getTime() ?? Number.POSITIVE_INFINITY) < cutoff;
  } catch {
    return false; // gone already, or unreadable: leave it
  }
}

const PRUNE_BATCH = 5000;

/**
 * Deletes image sources that no product links and that nothing has touched since `cutoff`, in
 * batches. Queued and processing ones are left to finish (their worker would find them gone).
 * Safe under concurrency: FOR UPDATE SKIP LOCKED passes over a source an import is linking right now
 * (the import holds it FOR KEY SHARE, see ensureSources, and so does the foreign key of a new link).
 */
async function pruneUnlinkedSources(ctx: AppContext, cutoff: Date, dryRun: boolean): Promise<number> {
  const unlinked = `s.status IN ('pending', 'done', 'failed') AND s.updated_at < $1
                    AND NOT EXISTS (SELECT 1 FROM product_images pi WHERE pi.source_id = s.id)`;
  if (dryRun) {
    const { rows } = await ctx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM image_sources s WHERE ${unlinked}`, [cutoff]);
    return rows[0]?.n ?? 0;
  }
  let pruned = 0;
  for (;;) {
    const { rowCount } = await ctx.pool.query(
      `DELETE FROM image_sources WHERE id IN (SELECT s.id FROM image_sources s WHERE ${unlinked} LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [cutoff, PRUNE_BATCH],
    );
    pruned += rowCount ?? 0;
    if ((rowCount ?? 0) < PRUNE_BATCH) return pruned;
  }
}

/**
 * Deletes image sources no product links any more (the supplier changed or removed the URL), then
 * the WebP objects no source refers to. Content keys are shared, so an object is an orphan only when
 * no source at all has its key, as its full WebP or as one of its sizes.
 * Objects younger than `graceSeconds` are kept: a worker uploads before it commits the row, so a
 * fresh object may belong to an image still being recorded. Defaults to twice the processing lease.
 * Each object is looked at again right before its delete; a re-upload in the milliseconds between
 * that look and the delete is the window left (the image would need re-queueing).
 */
export async function collectOrphanMedia(
  ctx: AppContext,
  options: { dryRun?: boolean; graceSeconds?: number } = {},
): Promise<MediaCollection> {
  if (!ctx.config.mediaPrefix) throw new AdminError(AdminErrorKind.invalidRequest, 'MEDIA_PREFIX is empty: refusing to sweep a whole bucket');
  const dryRun = options.dryRun ?? false;
  const limit = pLimit(HEAD_CONCURRENCY);
  const graceSeconds = options.graceSeconds ?? 2 * ctx.config.enqueue.processingLeaseSeconds;
  const cutoff = ctx.now().getTime() - graceSeconds * 1000;
  const bucket = ctx.config.buckets.media;
  const result: MediaCollection = { unlinkedSources: 0, scanned: 0, orphans: 0, deleted: 0, dryRun, examples: [] };
  result.unlinkedSources = await pruneUnlinkedSources(ctx, new Date(cutoff), dryRun);
  let token: string | undefined;
  do {
    const page = await ctx.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: ctx.config.mediaPrefix, ContinuationToken: token }),
    );
    token = page.NextContinuationToken;
    const old = (page.Contents ?? []).filter((o) => o.Key && o.LastModified && o.LastModified.getTime() < cutoff);
    result.scanned += page.KeyCount ?? 0;
    if (old.length === 0) continue;
    const keys = old.map((o) => o.Key!);
    // A key is referenced as a source's full WebP (`s3_key`, one pass for the page, as before) or as
    // one of its sizes (`variants`, a GIN index probe per key); sources from before sizes have only `s3_key`.
    const { rows } = await ctx.pool.query<{ key: string }>(
      `SELECT k.key FROM unnest($1::text[]) AS k(key)
        WHERE k.key IN (SELECT s.s3_key FROM image_sources s WHERE s.s3_key = ANY($1::text[]))
           OR EXISTS (SELECT 1 FROM image_sources s WHERE s.variants @> jsonb_build_array(jsonb_build_object('key', k.key)))`,
      [keys],
    );
    const referenced = new Set(rows.map((r) => r.key));
    const orphans = keys.filter((key) => !referenced.has(key));
    result.orphans += orphans.length;
    result.examples.push(...orphans.slice(0, 5 - result.examples.length));
    if (dryRun) continue;
    // A worker may have written the same content key again since the listing (another image with the
    // same bytes) and be about to record it: look at each object once more just before deleting.
    const stillOld = await Promise.all(orphans.map((key) => limit(() => olderThan(ctx, bucket, key, cutoff))));
    const doomed = orphans.filter((_, i) => stillOld[i]);
    for (let i = 0; i < doomed.length; i += DELETE_BATCH) {
      const batch = doomed.slice(i, i + DELETE_BATCH);
      const reply = await ctx.s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      for (const error of reply.Errors ?? []) ctx.log.warn('media object not deleted', { key: error.Key, error: error.Message });
      result.deleted += batch.length - (reply.Errors?.length ?? 0);
    }
  } while (token);
  ctx.log.info('orphan media collected', { ...result });
  return result;
}
