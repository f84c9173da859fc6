import type pg from 'pg';

export interface ClaimedImage {
  /** The image source's id. */
  id: number;
  sourceUrl: string;
  attempts: number;
  /** 'pending' for new work; 'queued' or 'processing' when a lease ran out; 'done' for a re-check. */
  previousStatus: string;
}

/**
 * What a tick sends, in the order it sends it. Each is its own claim over its own partial index
 * (see image_sources in src/db/schema.ts), so a claim reads the rows it returns and not the backlog:
 * at a 1M-source backlog of which 900k are queued, claiming 500 pending rows reads ~500 index entries.
 */
export const ClaimKind = {
  /** queued/processing past their lease: the message is gone (retention) or the worker died. */
  expired: 'expired',
  pending: 'pending',
  /** done sources last checked before the revalidation cutoff: a conditional GET. */
  revalidate: 'revalidate',
} as const;
export type ClaimKind = (typeof ClaimKind)[keyof typeof ClaimKind];

const claimable: Record<ClaimKind, string> = {
  expired: `status IN ('queued', 'processing') AND lease_until < now() ORDER BY lease_until`,
  pending: `status = 'pending' ORDER BY id`,
  revalidate: `status = 'done' AND checked_at < now() - make_interval(secs => $3::int) ORDER BY checked_at`,
};

/**
 * Moves up to `limit` sources of one kind to queued with a lease, returning them for sending.
 * Safe under concurrency: FOR UPDATE SKIP LOCKED means two ticks never claim the same row, and the
 * status change commits before the messages are sent, so a second tick does not see them as claimable.
 * A re-checked source keeps its WebP (`url`) meanwhile, so its products keep their picture, and its
 * download count starts again (a re-check gets its own MAX_RECEIVES downloads).
 */
export async function claimSources(
  pool: pg.Pool,
  kind: ClaimKind,
  options: { limit: number; leaseSeconds: number; revalidateAfterSeconds?: number },
): Promise<ClaimedImage[]> {
  const { rows } = await pool.query<{ id: string; source_url: string; attempts: number; previous_status: string }>(
    `WITH picked AS (
       SELECT id, status AS previous_status FROM image_sources
        WHERE ${claimable[kind]}
        LIMIT $1
        FOR UPDATE SKIP LOCKED
     )
     UPDATE image_sources s
        SET status = 'queued', lease_until = now() + make_interval(secs => $2::int), updated_at = now(),
            downloads = CASE WHEN picked.previous_status = 'done' THEN 0 ELSE s.downloads END
       FROM picked
      WHERE s.id = picked.id
  RETURNING s.id, s.source_url, s.attempts, picked.previous_status`,
    kind === ClaimKind.revalidate
      ? [options.limit, options.leaseSeconds, options.revalidateAfterSeconds ?? 0]
      : [options.limit, options.leaseSeconds],
  );
  return rows.map((r) => ({ id: Number(r.id), sourceUrl: r.source_url, attempts: r.attempts, previousStatus: r.previous_status }));
}

/**
 * Puts sources whose message could not be sent back where they were: pending, or done for a re-check
 * that did not go out (its WebP is still current as far as we know).
 */
export async function releaseUnsentImages(pool: pg.Pool, images: readonly ClaimedImage[]): Promise<void> {
  if (images.length === 0) return;
  await pool.query(
    `UPDATE image_sources s
        SET status = CASE WHEN t.previous_status = 'done' THEN 'done' ELSE 'pending' END, lease_until = NULL, updated_at = now()
       FROM unnest($1::bigint[], $2::text[]) AS t(id, previous_status)
      WHERE s.id = t.id AND s.status = 'queued'`,
    [images.map((i) => i.id), images.map((i) => i.previousStatus)],
  );
}
