import type pg from 'pg';
import type { FeedHeaderSecrets } from '../db/schema.ts';

/** A supplier's feed as a fetch needs it: where, with which secret headers, and what we had last time. */
export interface ClaimedFeed {
  supplierId: number;
  supplierCode: string;
  feedUrl: string;
  feedHeaders: FeedHeaderSecrets;
  feedFullCatalog: boolean;
  feedEtag: string | null;
  feedLastModified: string | null;
  feedContentHash: string | null;
}

const claimedColumns = `s.id AS "supplierId", s.code AS "supplierCode", s.feed_url AS "feedUrl", s.feed_headers AS "feedHeaders", s.feed_full_catalog AS "feedFullCatalog",
       s.feed_etag AS "feedEtag", s.feed_last_modified AS "feedLastModified", s.feed_content_hash AS "feedContentHash"`;

/**
 * Claims the feed that has waited longest among those due at `now`: on, with a URL, not fetched
 * within its interval, nor within `leaseSeconds` (a fetch in progress elsewhere, for feeds fetched
 * every tick), and, while failing, past its `feed_retry_at` (the backoff, see feed-backoff.ts). Safe under concurrency: the row is picked FOR UPDATE SKIP LOCKED and stamped
 * `feed_fetched_at` in the same statement, so a concurrent tick skips it or, once this commits,
 * no longer finds it due. `skip`: feeds this tick already fetched.
 */
export async function claimDueFeed(pool: pg.Pool, now: Date, leaseSeconds: number, skip: number[]): Promise<ClaimedFeed | undefined> {
  const { rows } = await pool.query<ClaimedFeed>(
    `UPDATE suppliers s SET feed_fetched_at = $1
      WHERE s.id = (
        SELECT d.id FROM suppliers d
         WHERE d.feed_enabled AND d.feed_url IS NOT NULL AND d.id <> ALL($3::int[])
           AND (d.feed_fetched_at IS NULL
                OR d.feed_fetched_at + make_interval(secs => greatest(coalesce(d.feed_interval_seconds, 0), $2::int)) <= $1)
           AND (d.feed_retry_at IS NULL OR d.feed_retry_at <= $1)
         ORDER BY d.feed_fetched_at NULLS FIRST, d.id
         LIMIT 1
         FOR UPDATE SKIP LOCKED)
      RETURNING ${claimedColumns}`,
    [now, leaseSeconds, skip],
  );
  return rows[0];
}

/** "Fetch now": one supplier's feed whether due or not, backing off or not, even when off; stamped like a claim. Undefined when it has no feed URL. */
export async function claimFeedOf(pool: pg.Pool, supplierCode: string, now: Date): Promise<ClaimedFeed | undefined> {
  const { rows } = await pool.query<ClaimedFeed>(
    `UPDATE suppliers s SET feed_fetched_at = $2 WHERE s.code = $1 AND s.feed_url IS NOT NULL RETURNING ${claimedColumns}`,
    [supplierCode, now],
  );
  return rows[0];
}
