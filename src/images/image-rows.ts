import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { Db } from '../db/client.ts';
import { refreshImageUrls } from '../db/refresh-image-urls.ts';

export type ClaimResult =
  | { claimed: true; productId: number; attempts: number; supplier: string; importId: number | null }
  | { claimed: false; reason: 'gone' | 'stale' | 'done' | 'failed' }
  | { claimed: false; reason: 'busy'; leaseSecondsLeft: number };

/**
 * Takes the image for this delivery: queued or pending rows, or processing rows whose lease ran out
 * (their worker died). A row another worker holds under a live lease is 'busy': the message is
 * retried later instead of both workers doing the work. The source URL must match the message, so a
 * message sent before the supplier changed the URL does nothing.
 */
export async function claimImageForProcessing(
  pool: pg.Pool,
  imageId: number,
  sourceUrl: string,
  leaseSeconds: number,
): Promise<ClaimResult> {
  // The joined product and supplier are only read (UPDATE locks its target rows alone): they name the
  // image's supplier and import in the logs.
  const { rows } = await pool.query<{ product_id: string; attempts: number; supplier: string; import_id: number | null }>(
    `UPDATE product_images pi
        SET status = 'processing', attempts = pi.attempts + 1, updated_at = now(),
            lease_until = now() + make_interval(secs => $3::int)
       FROM products p JOIN suppliers s ON s.id = p.supplier_id
      WHERE pi.id = $1 AND pi.source_url = $2 AND p.id = pi.product_id
        AND (pi.status IN ('pending', 'queued') OR (pi.status = 'processing' AND pi.lease_until < now()))
  RETURNING pi.product_id, pi.attempts, s.code AS supplier, pi.import_id`,
    [imageId, sourceUrl, leaseSeconds],
  );
  const row = rows[0];
  if (row) {
    return { claimed: true, productId: Number(row.product_id), attempts: row.attempts, supplier: row.supplier, importId: row.import_id };
  }
  const current = await pool.query<{ status: string; source_url: string; lease_left: number | null }>(
    `SELECT status, source_url, ceil(extract(epoch FROM lease_until - now()))::int AS lease_left
       FROM product_images WHERE id = $1`,
    [imageId],
  );
  const now = current.rows[0];
  if (!now) return { claimed: false, reason: 'gone' };
  if (now.source_url !== sourceUrl) return { claimed: false, reason: 'stale' };
  if (now.status === 'done') return { claimed: false, reason: 'done' };
  if (now.status === 'failed') return { claimed: false, reason: 'failed' };
  return { claimed: false, reason: 'busy', leaseSecondsLeft: Math.max(1, now.lease_left ?? 1) };
}

/**
 * Who holds the image: its id, the source URL it was claimed for, and the attempt number the claim
 * set. A worker whose lease ran out and whose image was claimed again holds an older attempt, so its
 * late writes match nothing (a fencing token) instead of overwriting the new owner's result.
 */
export interface ImageClaim {
  imageId: number;
  sourceUrl: string;
  attempt: number;
}

export interface FinishedImage extends ImageClaim {
  productId: number;
  s3Key: string;
  url: string;
  width: number;
  height: number;
  bytes: number;
  contentHash: string;
  sourceEtag: string | undefined;
}

/**
 * Marks the image done and rewrites its product's image_urls in one transaction, so a product never
 * lists a URL whose row is not done. Returns false when the row moved on (URL changed meanwhile).
 * The product row is locked first: two images of one product finishing at once would otherwise each
 * rebuild the array without the other's uncommitted URL, and the last commit would drop one.
 */
export async function markImageDone(db: Db, image: FinishedImage): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT 1 FROM products WHERE id = ${image.productId} FOR UPDATE`);
    const { rows } = await tx.execute<{ product_id: string }>(sql`
      UPDATE product_images
         SET status = 'done', s3_key = ${image.s3Key}, url = ${image.url}, width = ${image.width},
             height = ${image.height}, bytes = ${image.bytes}, content_hash = ${image.contentHash},
             source_etag = ${image.sourceEtag ?? null}, error_kind = NULL, last_error = NULL,
             lease_until = NULL, updated_at = now()
       WHERE id = ${image.imageId} AND source_url = ${image.sourceUrl} AND status = 'processing'
         AND attempts = ${image.attempt}
   RETURNING product_id`);
    if (!rows[0]) return false;
    await refreshImageUrls(tx, [image.productId]);
    return true;
  });
}

/** Records a permanent failure (or `exhausted` retries): failed with its kind, for admins to see and re-queue. */
export async function markImageFailed(pool: pg.Pool, claim: ImageClaim, kind: string, message: string) {
  await pool.query(
    `UPDATE product_images
        SET status = 'failed', error_kind = $4, last_error = $5, lease_until = NULL, updated_at = now()
      WHERE id = $1 AND source_url = $2 AND attempts = $3 AND status = 'processing'`,
    [claim.imageId, claim.sourceUrl, claim.attempt, kind, message],
  );
}

/**
 * A transient failure: the message will be delivered again, so the row goes back to queued with the
 * queued lease (not left in processing) and keeps the last error for admins watching retries.
 */
export async function markImageRetrying(pool: pg.Pool, claim: ImageClaim, kind: string, message: string, leaseSeconds: number) {
  await pool.query(
    `UPDATE product_images
        SET status = 'queued', error_kind = $4, last_error = $5, updated_at = now(),
            lease_until = now() + make_interval(secs => $6::int)
      WHERE id = $1 AND source_url = $2 AND attempts = $3 AND status = 'processing'`,
    [claim.imageId, claim.sourceUrl, claim.attempt, kind, message, leaseSeconds],
  );
}
