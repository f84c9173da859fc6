import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { Db } from '../db/client.ts';
import { refreshImageUrls } from '../db/refresh-image-urls.ts';

export type ClaimResult =
  | {
      claimed: true;
      attempts: number;
      /** One supplier and import that link the source, for the logs (a shared source has several). */
      supplier: string | null;
      importId: number | null;
      /** Validators of the WebP we already have: set when this delivery re-checks a done source. */
      current: { etag: string | null; lastModified: string | null } | undefined;
    }
  | { claimed: false; reason: 'gone' | 'stale' | 'done' | 'failed' }
  | { claimed: false; reason: 'busy'; leaseSecondsLeft: number };

/**
 * Takes the source for this delivery: queued or pending rows, or processing rows whose lease ran out
 * (their worker died), and adds one to its fencing token. A row another worker holds under a live
 * lease is 'busy': the message is retried later instead of both workers doing the work.
 */
export async function claimSourceForProcessing(
  pool: pg.Pool,
  sourceId: number,
  sourceUrl: string,
  leaseSeconds: number,
): Promise<ClaimResult> {
  const { rows } = await pool.query<{
    attempts: number;
    has_webp: boolean;
    source_etag: string | null;
    source_last_modified: string | null;
    supplier: string | null;
    import_id: number | null;
  }>(
    // The link is only read, for the logs: the UPDATE locks the source row alone.
    `WITH claimed AS (
       UPDATE image_sources s
          SET status = 'processing', attempts = s.attempts + 1, updated_at = now(),
              lease_until = now() + make_interval(secs => $3::int)
        WHERE s.id = $1 AND s.source_url = $2
          AND (s.status IN ('pending', 'queued') OR (s.status = 'processing' AND s.lease_until < now()))
    RETURNING s.attempts, s.url IS NOT NULL AS has_webp, s.source_etag, s.source_last_modified)
     SELECT claimed.*, link.supplier, link.import_id
       FROM claimed
       LEFT JOIN LATERAL (
         SELECT sp.code AS supplier, pi.import_id FROM product_images pi
           JOIN products p ON p.id = pi.product_id JOIN suppliers sp ON sp.id = p.supplier_id
          WHERE pi.source_id = $1 ORDER BY pi.id DESC LIMIT 1) link ON true`,
    [sourceId, sourceUrl, leaseSeconds],
  );
  const row = rows[0];
  if (row) {
    return {
      claimed: true,
      attempts: row.attempts,
      supplier: row.supplier,
      importId: row.import_id,
      current: row.has_webp ? { etag: row.source_etag, lastModified: row.source_last_modified } : undefined,
    };
  }
  const current = await pool.query<{ status: string; source_url: string; lease_left: number | null }>(
    `SELECT status, source_url, ceil(extract(epoch FROM lease_until - now()))::int AS lease_left
       FROM image_sources WHERE id = $1`,
    [sourceId],
  );
  const now = current.rows[0];
  if (!now) return { claimed: false, reason: 'gone' };
  if (now.source_url !== sourceUrl) return { claimed: false, reason: 'stale' };
  if (now.status === 'done') return { claimed: false, reason: 'done' };
  if (now.status === 'failed') return { claimed: false, reason: 'failed' };
  return { claimed: false, reason: 'busy', leaseSecondsLeft: Math.max(1, now.lease_left ?? 1) };
}

/**
 * Who holds the source: its id, URL and the fencing token its claim set. Tokens only grow, so a worker
 * whose lease ran out and whose source was claimed again holds an older token, and its late writes
 * match nothing instead of overwriting the new owner's result.
 */
export interface SourceClaim {
  sourceId: number;
  sourceUrl: string;
  attempt: number;
}

/** A new WebP for the source, or (`notModified`) confirmation that the one it has is current. */
export type SourceResult =
  | {
      notModified?: false;
      s3Key: string;
      url: string;
      width: number;
      height: number;
      bytes: number;
      contentHash: string;
      etag: string | undefined;
      lastModified: string | undefined;
    }
  | { notModified: true };

/**
 * Marks the source done and rewrites `image_urls` of every product that links it, in one transaction,
 * so a product never lists a URL whose source is not done. Returns false when the claim was fenced off.
 * Lock order: the linking products (id order), then the source, as imports do: two sources of one
 * product finishing at once would otherwise each rebuild the array without the other's URL.
 * A 304 only moves `checked_at`: products are untouched.
 */
export async function markSourceDone(db: Db, claim: SourceClaim, result: SourceResult): Promise<boolean> {
  return db.transaction(async (tx) => {
    if (result.notModified) {
      const { rows } = await tx.execute(sql`
        UPDATE image_sources
           SET status = 'done', checked_at = now(), error_kind = NULL, last_error = NULL, lease_until = NULL, updated_at = now()
         WHERE id = ${claim.sourceId} AND status = 'processing' AND attempts = ${claim.attempt}
     RETURNING 1`);
      return rows.length > 0;
    }
    const { rows: linked } = await tx.execute<{ id: string }>(sql`
      SELECT p.id FROM products p
       WHERE p.id IN (SELECT product_id FROM product_images WHERE source_id = ${claim.sourceId})
       ORDER BY p.id
         FOR UPDATE OF p`);
    const { rows } = await tx.execute(sql`
      UPDATE image_sources
         SET status = 'done', s3_key = ${result.s3Key}, url = ${result.url}, width = ${result.width},
             height = ${result.height}, bytes = ${result.bytes}, content_hash = ${result.contentHash},
             source_etag = ${result.etag ?? null}, source_last_modified = ${result.lastModified ?? null},
             checked_at = now(), error_kind = NULL, last_error = NULL, lease_until = NULL, updated_at = now()
       WHERE id = ${claim.sourceId} AND status = 'processing' AND attempts = ${claim.attempt}
   RETURNING 1`);
    if (!rows[0]) return false;
    await refreshImageUrls(tx, linked.map((row) => Number(row.id)));
    return true;
  });
}

/**
 * Records a permanent failure (or `exhausted` retries): failed with its kind, for admins to see and
 * re-queue. A WebP from an earlier success stays, so linked products keep the last good picture.
 */
export async function markSourceFailed(pool: pg.Pool, claim: SourceClaim, kind: string, message: string) {
  await pool.query(
    `UPDATE image_sources
        SET status = 'failed', error_kind = $3, last_error = $4, lease_until = NULL, updated_at = now()
      WHERE id = $1 AND attempts = $2 AND status = 'processing'`,
    [claim.sourceId, claim.attempt, kind, message],
  );
}

/**
 * A transient failure: the message will be delivered again, so the row goes back to queued with the
 * queued lease (not left in processing) and keeps the last error for admins watching retries.
 */
export async function markSourceRetrying(pool: pg.Pool, claim: SourceClaim, kind: string, message: string, leaseSeconds: number) {
  await pool.query(
    `UPDATE image_sources
        SET status = 'queued', error_kind = $3, last_error = $4, updated_at = now(),
            lease_until = now() + make_interval(secs => $5::int)
      WHERE id = $1 AND attempts = $2 AND status = 'processing'`,
    [claim.sourceId, claim.attempt, kind, message, leaseSeconds],
  );
}
