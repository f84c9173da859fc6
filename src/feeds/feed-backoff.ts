import type pg from 'pg';

/** A feed fetched every tick (no interval) backs off from this, as if it were hourly. */
export const everyTickBackoffBaseSeconds = 3600;

/** Where a failing feed stands: how many fetches in a row failed, and when the tick may try it again. */
export interface FeedBackoff {
  failuresInRow: number;
  nextAttemptAt: Date;
}

/**
 * Counts a failed fetch and puts the feed's next attempt off: after the first failure in a row it is
 * due at once (the next tick: a single 503 is often a blip, and a daily feed is not left a day
 * behind for it), after the n-th its interval × 2^(n−2) later (an every-tick feed: an hour × 2^(n−2)),
 * never more than `maxSeconds` (FEED_BACKOFF_MAX). `startedAt` is when the failed fetch began. The
 * count and the delay come from the row in the same statement (the old count on the right of SET), so
 * a "fetch now" running beside the tick's fetch adds its own failure instead of overwriting one. Only
 * while the URL is still the one fetched: a URL changed meanwhile starts with a clean record.
 * `feed_fetched_at` is cleared: the claim's lease is over, and `feed_retry_at` alone decides.
 */
export async function recordFeedFailure(pool: pg.Pool, feed: { supplierId: number; feedUrl: string }, startedAt: Date, maxSeconds: number): Promise<FeedBackoff | undefined> {
  const { rows } = await pool.query<FeedBackoff>(
    `UPDATE suppliers
        SET feed_failures_in_row = feed_failures_in_row + 1,
            feed_fetched_at = NULL,
            feed_retry_at = $3::timestamptz + make_interval(secs => CASE
              WHEN feed_failures_in_row = 0 THEN 0
              ELSE least($4::float8, coalesce(feed_interval_seconds, ${everyTickBackoffBaseSeconds})::float8 * power(2, least(feed_failures_in_row - 1, 40)))
            END)
      WHERE id = $1 AND feed_url = $2
      RETURNING feed_failures_in_row AS "failuresInRow", feed_retry_at AS "nextAttemptAt"`,
    [feed.supplierId, feed.feedUrl, startedAt, maxSeconds],
  );
  return rows[0];
}

/**
 * A failure of ours (FeedError.ours: our deadline, our bucket or database): the fetch's claim ends so
 * the next tick fetches it again, and the supplier's record is left as it was, neither longer nor reset.
 */
export async function recordOurFailure(pool: pg.Pool, feed: { supplierId: number; feedUrl: string }): Promise<void> {
  await pool.query(`UPDATE suppliers SET feed_fetched_at = NULL WHERE id = $1 AND feed_url = $2`, [feed.supplierId, feed.feedUrl]);
}

/** A fetch that did not fail (imported or unchanged) ends the streak: the feed is back on its interval. */
export async function recordFeedSuccess(pool: pg.Pool, supplierId: number): Promise<void> {
  await pool.query(
    `UPDATE suppliers SET feed_failures_in_row = 0, feed_retry_at = NULL WHERE id = $1 AND (feed_failures_in_row <> 0 OR feed_retry_at IS NOT NULL)`,
    [supplierId],
  );
}

/**
 * SQL for when the tick fetches the feed of supplier row `s` next, at the earliest: its retry time
 * while failing, else an interval after its last fetch. NULL: at the next tick (never fetched, or
 * fetched every tick), or never (off, no URL); a time already past is the next tick too.
 */
export const feedNextAttemptSql = `CASE
  WHEN NOT s.feed_enabled OR s.feed_url IS NULL THEN NULL
  WHEN s.feed_retry_at IS NOT NULL THEN s.feed_retry_at
  WHEN s.feed_fetched_at IS NOT NULL AND s.feed_interval_seconds IS NOT NULL THEN s.feed_fetched_at + make_interval(secs => s.feed_interval_seconds)
END`;
