import type pg from 'pg';

/** One supplier host as the fleet-wide budget sees it (src/images/host-budget/). */
export interface HostReport {
  host: string;
  /** Downloads in flight now (slots under a live lease), from every worker. */
  inFlight: number;
  /** Set while every worker leaves the host alone: after a 429/503 with Retry-After, or repeated 429s. */
  pausedUntil: Date | null;
  pauseReason: string | null;
  /** A download was refused a slot or a start within the last minute: the budget is holding the host back. */
  throttled: boolean;
  /** With a rate limit: when the next request may start. */
  nextStartAt: Date | null;
  /** Requests started over about the last 10 seconds, per second, by every worker. */
  requestsPerSecond: number;
}

/** How long a host stays in the report after its last download. */
const SHOWN_FOR = `interval '1 hour'`;

/**
 * Hosts that are paused, throttled or were fetched from within the last hour, paused first, then
 * busiest. Requests per second come from two 10-second windows (the current one and the one before,
 * weighted by how much of it still falls in the last 10 s), counted as the budget grants slots.
 */
export async function listHostStatus(pool: pg.Pool, limit = 20): Promise<HostReport[]> {
  const { rows } = await pool.query<HostReport>(
    `SELECT h.host,
            (SELECT count(*)::int FROM fetch_host_slots s WHERE s.host = h.host AND s.lease_until > now()) AS "inFlight",
            CASE WHEN h.paused_until > now() THEN h.paused_until END AS "pausedUntil",
            CASE WHEN h.paused_until > now() THEN h.pause_reason END AS "pauseReason",
            coalesce(h.refused_at > now() - interval '1 minute', false) AS throttled,
            CASE WHEN h.next_start_at > now() THEN h.next_start_at END AS "nextStartAt",
            round((CASE WHEN e.s < 10 THEN (h.previous_window_requests * (10 - e.s) / 10 + h.window_requests) / 10
                        WHEN e.s < 20 THEN h.window_requests * (20 - e.s) / 100
                        ELSE 0 END)::numeric, 2)::float8 AS "requestsPerSecond"
       FROM fetch_hosts h
      CROSS JOIN LATERAL (SELECT extract(epoch FROM now() - h.window_started_at)::float8 AS s) e
      WHERE h.updated_at > now() - ${SHOWN_FOR} OR h.paused_until > now()
      ORDER BY (h.paused_until > now()) IS TRUE DESC, "requestsPerSecond" DESC, h.host
      LIMIT $1`,
    [limit],
  );
  return rows;
}
