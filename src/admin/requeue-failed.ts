import type { AppContext } from '../context.ts';
import { type EnqueueSummary, enqueuePendingImages } from '../queue/enqueue.ts';
import { AdminError, AdminErrorKind } from './errors.ts';

/** Which failed images to re-queue; every given field narrows the set. */
export interface RequeueFilter {
  supplier?: string;
  importId?: number;
  kind?: string;
  imageIds?: number[];
  /** Failed at or after this time. */
  since?: Date;
  /** Required to re-queue every failed image when no other filter is given. */
  all?: boolean;
  /** Re-check done images instead (a conditional GET; products keep their pictures meanwhile). */
  revalidate?: boolean;
}

export interface RequeueResult {
  /** Failed images the filter matched (with `dryRun`, what would move). */
  matched: number;
  /** Moved back to pending (0 on a dry run). */
  requeued: number;
  dryRun: boolean;
  /** Present when sent at once; otherwise the next tick sends them. */
  enqueued?: EnqueueSummary;
}

const hasNarrowingFilter = (f: RequeueFilter) =>
  f.supplier !== undefined || f.importId !== undefined || f.kind !== undefined || f.imageIds !== undefined || f.since !== undefined;

/**
 * Failed image sources (or, with `revalidate`, done ones) back to pending with the error cleared, for the next tick to
 * send, or sent at once with `now`. Refuses an empty filter unless `all` is set, so a slip cannot
 * re-queue every failure. Safe under concurrency: the UPDATE re-checks `status = 'failed'`, so rows
 * a re-import or worker changed in between are left alone.
 */
export async function requeueFailedImages(
  ctx: AppContext,
  filter: RequeueFilter,
  options: { dryRun?: boolean; now?: boolean; deadline?: number } = {},
): Promise<RequeueResult> {
  if (!hasNarrowingFilter(filter) && !filter.all) {
    throw new AdminError(AdminErrorKind.invalidRequest, 'requeue needs a filter (supplier, import, kind, ids, since) or all');
  }
  // Supplier and import reach a source through its links: a shared source is re-queued once.
  const where = `src.status = $6
        AND ($1::text IS NULL OR EXISTS (
              SELECT 1 FROM product_images pi JOIN products p ON p.id = pi.product_id JOIN suppliers s ON s.id = p.supplier_id
               WHERE pi.source_id = src.id AND s.code = $1))
        AND ($2::int IS NULL OR EXISTS (SELECT 1 FROM product_images pi WHERE pi.source_id = src.id AND pi.import_id = $2))
        AND ($3::text IS NULL OR coalesce(src.error_kind, 'unknown') = $3)
        AND ($4::bigint[] IS NULL OR src.id = ANY($4::bigint[]))
        AND ($5::timestamptz IS NULL OR src.updated_at >= $5)`;
  const params = [
    filter.supplier ?? null,
    filter.importId ?? null,
    filter.kind ?? null,
    filter.imageIds ?? null,
    filter.since ?? null,
    filter.revalidate ? 'done' : 'failed',
  ];
  if (options.dryRun) {
    const { rows } = await ctx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM image_sources src WHERE ${where}`, params);
    return { matched: rows[0]?.n ?? 0, requeued: 0, dryRun: true };
  }
  const { rowCount } = await ctx.pool.query(
    // attempts is the fencing token and is never reset: a worker still holding an old claim stays fenced off.
    // downloads starts again: a re-queued image gets its MAX_RECEIVES real downloads anew.
    `UPDATE image_sources src
        SET status = 'pending', downloads = 0, error_kind = NULL, last_error = NULL, lease_until = NULL, updated_at = now()
      WHERE ${where}`,
    params,
  );
  const requeued = rowCount ?? 0;
  ctx.log.info('failed images re-queued', { ...filter, requeued });
  const result: RequeueResult = { matched: requeued, requeued, dryRun: false };
  return options.now && requeued > 0 ? { ...result, enqueued: await enqueuePendingImages(ctx, { deadline: options.deadline }) } : result;
}
