import type pg from 'pg';

export interface ClaimedImage {
  id: number;
  sourceUrl: string;
  attempts: number;
  /** 'pending' for new work; 'queued' or 'processing' when a lease ran out and the image is sent again. */
  previousStatus: string;
}

/**
 * Moves up to `limit` images to queued with a lease, returning them for sending. Takes pending rows
 * and rows whose queued/processing lease expired (a lost message, a worker that died).
 * Safe under concurrency: FOR UPDATE SKIP LOCKED means two ticks never claim the same row, and the
 * status change commits before the rows are sent, so a second tick does not see them as pending.
 */
export async function claimPendingImages(pool: pg.Pool, limit: number, leaseSeconds: number): Promise<ClaimedImage[]> {
  const { rows } = await pool.query<{ id: string; source_url: string; attempts: number; previous_status: string }>(
    `WITH picked AS (
       SELECT id, status AS previous_status
         FROM product_images
        WHERE status = 'pending'
           OR (status IN ('queued', 'processing') AND lease_until < now())
        ORDER BY id
        LIMIT $1
        FOR UPDATE SKIP LOCKED
     )
     UPDATE product_images pi
        SET status = 'queued', lease_until = now() + make_interval(secs => $2::int), updated_at = now()
       FROM picked
      WHERE pi.id = picked.id
  RETURNING pi.id, pi.source_url, pi.attempts, picked.previous_status`,
    [limit, leaseSeconds],
  );
  return rows.map((r) => ({ id: Number(r.id), sourceUrl: r.source_url, attempts: r.attempts, previousStatus: r.previous_status }));
}

/** Puts images whose message could not be sent back to pending, for the next tick. */
export async function releaseUnsentImages(pool: pg.Pool, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await pool.query(
    `UPDATE product_images SET status = 'pending', lease_until = NULL, updated_at = now()
      WHERE id = ANY($1::bigint[]) AND status = 'queued'`,
    [ids],
  );
}
