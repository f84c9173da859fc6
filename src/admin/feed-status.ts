import type pg from 'pg';
import type { FeedFetchOutcome } from '../db/schema.ts';
import { feedNextAttemptSql } from '../feeds/feed-backoff.ts';

/** A supplier feed as `status` shows it: its settings and how its last fetch ended. */
export interface FeedReport {
  supplier: string;
  url: string;
  enabled: boolean;
  intervalSeconds: number | null;
  /** Failed fetches since the last one that was not: a feed that keeps failing stands out, and backs off. */
  failuresInRow: number;
  /** When the tick fetches it next at the earliest (a failing feed's backoff included); null: at the next tick, or never when off. */
  nextAttemptAt: Date | null;
  lastFetch: {
    at: Date;
    outcome: FeedFetchOutcome;
    httpStatus: number | null;
    bytes: number | null;
    durationMs: number;
    importId: number | null;
    errorKind: string | null;
    error: string | null;
  } | null;
}

/** Every supplier feed (or one supplier's) with its last fetch, failing feeds first. */
export async function listFeedStatus(pool: pg.Pool, supplier: string | null): Promise<FeedReport[]> {
  const { rows } = await pool.query<FeedReport>(
    `SELECT s.code AS supplier, s.feed_url AS url, s.feed_enabled AS enabled, s.feed_interval_seconds AS "intervalSeconds",
            s.feed_failures_in_row AS "failuresInRow", ${feedNextAttemptSql} AS "nextAttemptAt",
            CASE WHEN f.id IS NULL THEN NULL ELSE json_build_object(
              'at', f.started_at, 'outcome', f.outcome, 'httpStatus', f.http_status, 'bytes', f.bytes, 'durationMs', f.duration_ms,
              'importId', f.import_id, 'errorKind', f.error_kind, 'error', f.error) END AS "lastFetch"
       FROM suppliers s
       LEFT JOIN LATERAL (SELECT * FROM feed_fetches f WHERE f.supplier_id = s.id ORDER BY f.id DESC LIMIT 1) f ON true
      WHERE s.feed_url IS NOT NULL AND ($1::text IS NULL OR s.code = $1)
      ORDER BY (f.outcome = 'failed') DESC NULLS LAST, s.code`,
    [supplier],
  );
  // json_build_object hands the timestamp back as text.
  return rows.map((r) => ({ ...r, lastFetch: r.lastFetch && { ...r.lastFetch, at: new Date(r.lastFetch.at) } }));
}
