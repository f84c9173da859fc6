import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { Db } from '../db/client.ts';
import type { StoredRendition } from '../db/schema.ts';
import { refreshImageUrls } from '../db/refresh-image-urls.ts';

export type ClaimResult =
  | {
      claimed: true;
      attempts: number;
      /** Real downloads of the source, this one included: what `exhausted` is measured against. */
      downloads: number;
      /** The host budget for this source: the strictest of the suppliers that link it (null: no limit). */
      limits: { maxConcurrency: number | null; maxRate: number | null };
      /** One supplier and import that link the source, for the logs (a shared source has several). */
      supplier: string | null;
      importId: number | null;
      /** Validators of the WebP we already have: set when this delivery re-checks a source. */
      current: { etag: string | null; lastModified: string | null } | undefined;
    }
  | { claimed: false; reason: 'gone' | 'stale' | 'done' | 'failed' }
  | { claimed: false; reason: 'busy'; leaseSecondsLeft: number };

/** The fleet-wide per-host limits, which a supplier's own `fetch_limits` replace for its sources. */
export interface DefaultHostLimits {
  /** 0 or null: no fleet-wide concurrency limit. */
  maxConcurrency: number | null;
  maxRate: number | null;
}

/**
 * Takes the sources of one worker batch in one statement: queued or pending rows, or processing rows
 * whose lease ran out (their worker died), adding one to each fencing token and to `downloads` (a
 * claim is a download about to start; `releaseSources` takes it back when none starts).
 * Each claimed source comes with its host limits: per linking supplier its `fetch_limits` or else the
 * fleet default, and of those the strictest, so a URL that two suppliers share is fetched as
 * politely as the stricter one asks. A row another worker
 * holds under a live lease is 'busy': its message is retried later instead of both doing the work.
 * Results come back in the order asked; ids must be distinct. Safe under concurrency: the UPDATE
 * re-checks the status under the row lock, so of two batches claiming one source exactly one wins,
 * and the other sees it busy.
 */
export async function claimSourcesForProcessing(
  pool: pg.Pool,
  wanted: ReadonlyArray<{ sourceId: number; sourceUrl: string }>,
  leaseSeconds: number,
  defaults: DefaultHostLimits = { maxConcurrency: null, maxRate: null },
): Promise<ClaimResult[]> {
  if (wanted.length === 0) return [];
  // `current` is the statement's snapshot, from before the UPDATE: why a row was not claimed.
  // The link is only read, for the logs: the UPDATE locks the source rows alone.
  const { rows } = await pool.query<{
    id: string;
    attempts: number | null;
    downloads: number | null;
    max_concurrency: number | null;
    max_rate: number | null;
    has_webp: boolean | null;
    source_etag: string | null;
    source_last_modified: string | null;
    status: string | null;
    source_url: string | null;
    lease_left: number | null;
    supplier: string | null;
    import_id: number | null;
  }>(
    `WITH wanted AS (
       SELECT * FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS w(id, url, ord)
     ), claimed AS (
       UPDATE image_sources s
          SET status = 'processing', attempts = s.attempts + 1, downloads = s.downloads + 1, updated_at = now(),
              lease_until = now() + make_interval(secs => $3::int)
         FROM wanted w
        WHERE s.id = w.id AND s.source_url = w.url
          AND (s.status IN ('pending', 'queued') OR (s.status = 'processing' AND s.lease_until < now()))
    RETURNING s.id, s.attempts, s.downloads, s.url IS NOT NULL AS has_webp, s.source_etag, s.source_last_modified)
     SELECT w.id, c.attempts, c.downloads, lim.max_concurrency, lim.max_rate, c.has_webp, c.source_etag, c.source_last_modified,
            cur.status, cur.source_url, ceil(extract(epoch FROM cur.lease_until - now()))::int AS lease_left,
            link.supplier, link.import_id
       FROM wanted w
       LEFT JOIN claimed c ON c.id = w.id
       LEFT JOIN image_sources cur ON cur.id = w.id
       LEFT JOIN LATERAL (
         SELECT sp.code AS supplier, pi.import_id FROM product_images pi
           JOIN products p ON p.id = pi.product_id JOIN suppliers sp ON sp.id = p.supplier_id
          WHERE pi.source_id = c.id ORDER BY pi.id DESC LIMIT 1) link ON true
       LEFT JOIN LATERAL (
         SELECT min(coalesce((sp.fetch_limits->>'maxConcurrency')::int, $4::int)) AS max_concurrency,
                min(coalesce((sp.fetch_limits->>'maxRate')::float8, $5::float8)) AS max_rate
           FROM suppliers sp
          WHERE sp.id IN (SELECT p.supplier_id FROM product_images pi JOIN products p ON p.id = pi.product_id WHERE pi.source_id = c.id)) lim
         ON c.id IS NOT NULL
      ORDER BY w.ord`,
    [
      wanted.map((w) => w.sourceId),
      wanted.map((w) => w.sourceUrl),
      leaseSeconds,
      defaults.maxConcurrency || null,
      defaults.maxRate,
    ],
  );
  return rows.map((row, i): ClaimResult => {
    if (row.attempts !== null) {
      return {
        claimed: true,
        attempts: row.attempts,
        downloads: row.downloads!,
        // A source no supplier links any more (an import moved on) still gets the fleet default.
        limits: {
          maxConcurrency: row.max_concurrency ?? (defaults.maxConcurrency || null),
          maxRate: row.max_rate ?? defaults.maxRate,
        },
        supplier: row.supplier,
        importId: row.import_id,
        current: row.has_webp ? { etag: row.source_etag, lastModified: row.source_last_modified } : undefined,
      };
    }
    if (row.status === null) return { claimed: false, reason: 'gone' };
    if (row.source_url !== wanted[i]!.sourceUrl) return { claimed: false, reason: 'stale' };
    if (row.status === 'done') return { claimed: false, reason: 'done' };
    if (row.status === 'failed') return { claimed: false, reason: 'failed' };
    return { claimed: false, reason: 'busy', leaseSecondsLeft: Math.max(1, row.lease_left ?? 1) };
  });
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
      /** The downloaded original, before conversion (the products view shows both). */
      original?: { width: number; height: number; bytes: number };
      contentHash: string;
      /** Every WebP size, widths ascending, the full one (`s3Key`) last. */
      variants: StoredRendition[];
      /** ThumbHash, base64. */
      placeholder: string;
      etag: string | undefined;
      lastModified: string | undefined;
    }
  | { notModified: true };

/**
 * Records the finished sources of one worker batch in one transaction: each source done with its
 * WebP sizes and placeholder (replaced whole, so a redelivery of the same bytes writes the same list), and the
 * `image_urls` of every product that links a source with a new WebP, so a product never lists a URL
 * whose source is not done. Returns the ids recorded; a claim that was fenced off (its token is no
 * longer the row's) is left out. A 304 only moves `checked_at`.
 * Lock order: the linking products (id order), then the sources, as imports do: two sources of one
 * product finishing at once would otherwise each rebuild the array without the other's URL.
 * Five round trips for the whole batch, whatever its size.
 */
export async function markSourcesDone(
  db: Db,
  finished: ReadonlyArray<{ claim: SourceClaim; result: SourceResult }>,
): Promise<Set<number>> {
  if (finished.length === 0) return new Set();
  const stored = finished.filter((f) => !f.result.notModified);
  const field = <T>(pick: (result: Exclude<SourceResult, { notModified: true }>) => T) =>
    finished.map((f) => (f.result.notModified ? null : pick(f.result)));
  return db.transaction(async (tx) => {
    if (stored.length > 0) {
      await tx.execute(sql`
        SELECT p.id FROM products p
         WHERE p.id IN (SELECT product_id FROM product_images
                         WHERE source_id = ANY(${sql.param(stored.map((f) => f.claim.sourceId))}::bigint[]))
         ORDER BY p.id
           FOR UPDATE OF p`);
    }
    const { rows } = await tx.execute<{ id: string; new_webp: boolean }>(sql`
      UPDATE image_sources s
         SET status = 'done', checked_at = now(), error_kind = NULL, last_error = NULL, lease_until = NULL, updated_at = now(),
             s3_key = coalesce(t.s3_key, s.s3_key), url = coalesce(t.url, s.url), width = coalesce(t.width, s.width),
             height = coalesce(t.height, s.height), bytes = coalesce(t.bytes, s.bytes),
             original_width = coalesce(t.original_width, s.original_width), original_height = coalesce(t.original_height, s.original_height),
             original_bytes = coalesce(t.original_bytes, s.original_bytes),
             content_hash = coalesce(t.content_hash, s.content_hash),
             variants = coalesce(t.variants, s.variants), placeholder = coalesce(t.placeholder, s.placeholder),
             source_etag = CASE WHEN t.not_modified THEN s.source_etag ELSE t.etag END,
             source_last_modified = CASE WHEN t.not_modified THEN s.source_last_modified ELSE t.last_modified END
        FROM unnest(${sql.param(finished.map((f) => f.claim.sourceId))}::bigint[],
                    ${sql.param(finished.map((f) => f.claim.attempt))}::int[],
                    ${sql.param(finished.map((f) => Boolean(f.result.notModified)))}::boolean[],
                    ${sql.param(field((r) => r.s3Key))}::text[], ${sql.param(field((r) => r.url))}::text[],
                    ${sql.param(field((r) => r.width))}::int[], ${sql.param(field((r) => r.height))}::int[],
                    ${sql.param(field((r) => r.bytes))}::int[], ${sql.param(field((r) => r.contentHash))}::text[],
                    ${sql.param(field((r) => r.original?.width ?? null))}::int[], ${sql.param(field((r) => r.original?.height ?? null))}::int[],
                    ${sql.param(field((r) => r.original?.bytes ?? null))}::int[],
                    ${sql.param(field((r) => r.etag ?? null))}::text[], ${sql.param(field((r) => r.lastModified ?? null))}::text[],
                    ${sql.param(field((r) => JSON.stringify(r.variants)))}::jsonb[], ${sql.param(field((r) => r.placeholder))}::text[])
             AS t(id, attempt, not_modified, s3_key, url, width, height, bytes, content_hash, original_width, original_height, original_bytes,
                  etag, last_modified, variants, placeholder)
       WHERE s.id = t.id AND s.status = 'processing' AND s.attempts = t.attempt
   RETURNING s.id, NOT t.not_modified AS new_webp`);
    const withNewWebp = rows.filter((row) => row.new_webp).map((row) => Number(row.id));
    if (withNewWebp.length > 0) {
      const { rows: linked } = await tx.execute<{ product_id: string }>(sql`
        SELECT DISTINCT product_id FROM product_images WHERE source_id = ANY(${sql.param(withNewWebp)}::bigint[])`);
      await refreshImageUrls(tx, linked.map((row) => Number(row.product_id)));
    }
    return new Set(rows.map((row) => Number(row.id)));
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

/**
 * Hands claimed sources back untouched (deferred near the invocation's deadline, or refused by the
 * host budget): queued again, token kept, and the download the claim counted taken back.
 */
export async function releaseSources(pool: pg.Pool, claims: readonly SourceClaim[], leaseSeconds: number) {
  if (claims.length === 0) return;
  await pool.query(
    `UPDATE image_sources s
        SET status = 'queued', downloads = greatest(s.downloads - 1, 0), updated_at = now(), lease_until = now() + make_interval(secs => $3::int)
       FROM unnest($1::bigint[], $2::int[]) AS t(id, attempt)
      WHERE s.id = t.id AND s.attempts = t.attempt AND s.status = 'processing'`,
    [claims.map((c) => c.sourceId), claims.map((c) => c.attempt), leaseSeconds],
  );
}
