import type pg from 'pg';

/** One download that wants a slot on its host, with the limits that apply to it. */
export interface SlotRequest {
  host: string;
  /** Slots the host may have in flight for this download (its supplier's or the fleet's). */
  maxConcurrency: number;
  /** Requests per second the host may be sent; null: no rate limit. */
  maxRate: number | null;
  /** A fresh random id: only this holder's release frees the slot it gets. */
  holder: string;
}

export type SlotAnswer =
  | { granted: true; slot: number; holder: string; host: string; startInMs: number }
  | { granted: false; host: string; reason: 'paused'; retryAfterSeconds: number; pauseReason: string | null }
  | { granted: false; host: string; reason: 'rate' | 'slots'; retryAfterSeconds: number }
  /** No fetch_hosts row yet: create it (`registerHosts`) and ask again. */
  | { granted: false; host: string; reason: 'unknown' };

/** How far ahead a download may be booked under a rate limit; later ones are deferred instead of waited for. */
export const MAX_RATE_WAIT_SECONDS = 1;

/**
 * Grants download slots to several requests in one statement. Per host it locks the `fetch_hosts` row
 * (FOR UPDATE, so paused, rate and counters are read as the last writer left them), reserves up to
 * min(wanted, free slots below the limit, starts the rate allows within MAX_RATE_WAIT_SECONDS), then
 * takes that many slots. Safe under concurrency: a slot is taken only by the upsert whose
 * `WHERE lease_until <= now()` is re-checked on the row's newest version, so two workers that both
 * chose slot 3 from their snapshot cannot both get it (the loser gets fewer slots, never too many);
 * slots are inserted in (host, slot) order, so two grants never wait on each other in a cycle.
 * A refused request says why and when to come back: the end of a pause, the next start the rate
 * allows, or a few seconds for a free slot.
 */
export async function acquireHostSlots(pool: pg.Pool, requests: readonly SlotRequest[], leaseSeconds: number): Promise<SlotAnswer[]> {
  if (requests.length === 0) return [];
  const { rows } = await pool.query<{
    host: string;
    holder: string;
    known: boolean;
    slot: number | null;
    paused_for: number | null;
    pause_reason: string | null;
    start_in: number | null;
    rate_wait: number;
    reserved: number;
  }>(
    `WITH req AS (
       SELECT r.*, row_number() OVER (PARTITION BY r.host ORDER BY r.ord) AS n
         FROM unnest($1::text[], $2::int[], $3::float8[], $4::text[]) WITH ORDINALITY AS r(host, cap, rate, holder, ord)
     ), wanted AS (
       SELECT host, count(*)::int AS want, min(cap) AS cap, min(rate) AS rate FROM req GROUP BY host
     ), current AS (
       SELECT f.host, f.paused_until, f.pause_reason, greatest(coalesce(f.next_start_at, now()), now()) AS base
         FROM fetch_hosts f JOIN wanted w ON w.host = f.host
        ORDER BY f.host
          FOR UPDATE OF f
     ), plan AS (
       SELECT w.host, w.want, w.cap, w.rate, c.paused_until, c.pause_reason, c.base,
              extract(epoch FROM c.base - now())::float8 AS rate_wait,
              CASE WHEN c.paused_until > now() THEN 0
                   ELSE least(w.want,
                              greatest(0, w.cap - (SELECT count(*)::int FROM fetch_host_slots s
                                                    WHERE s.host = w.host AND s.slot <= w.cap AND s.lease_until > now())),
                              CASE WHEN w.rate IS NULL THEN w.want
                                   ELSE greatest(0, floor(($6::float8 - extract(epoch FROM c.base - now())) * w.rate)::int + 1) END)
              END AS reserved
         FROM wanted w JOIN current c ON c.host = w.host
     ), counted AS (
       UPDATE fetch_hosts h
          SET next_start_at = CASE WHEN p.rate IS NULL THEN h.next_start_at ELSE p.base + make_interval(secs => p.reserved / p.rate) END,
              refused_at = CASE WHEN p.reserved < p.want THEN now() ELSE h.refused_at END,
              previous_window_requests = CASE WHEN now() - h.window_started_at >= interval '20 seconds' THEN 0
                                              WHEN now() - h.window_started_at >= interval '10 seconds' THEN h.window_requests
                                              ELSE h.previous_window_requests END,
              window_requests = CASE WHEN now() - h.window_started_at >= interval '10 seconds' THEN p.reserved ELSE h.window_requests + p.reserved END,
              window_started_at = CASE WHEN now() - h.window_started_at >= interval '10 seconds' THEN now() ELSE h.window_started_at END,
              updated_at = now()
         FROM plan p
        WHERE h.host = p.host
     ), candidates AS (
       SELECT p.host, c.slot, row_number() OVER (PARTITION BY p.host ORDER BY random()) AS pick
         FROM plan p CROSS JOIN LATERAL generate_series(1, p.cap) AS c(slot)
        WHERE p.reserved > 0
          AND NOT EXISTS (SELECT 1 FROM fetch_host_slots s WHERE s.host = p.host AND s.slot = c.slot AND s.lease_until > now())
     ), picked AS (
       SELECT c.host, c.slot, row_number() OVER (PARTITION BY c.host ORDER BY c.slot) AS n
         FROM candidates c JOIN plan p ON p.host = c.host
        WHERE c.pick <= p.reserved
     ), granted AS (
       INSERT INTO fetch_host_slots AS s (host, slot, holder, lease_until)
       SELECT pk.host, pk.slot, r.holder, now() + make_interval(secs => $5::int)
         FROM picked pk JOIN req r ON r.host = pk.host AND r.n = pk.n
        ORDER BY pk.host, pk.slot
           ON CONFLICT (host, slot) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
        WHERE s.lease_until <= now()
    RETURNING s.slot, s.holder
     )
     SELECT r.host, r.holder, p.host IS NOT NULL AS known, g.slot,
            CASE WHEN p.paused_until > now() THEN ceil(extract(epoch FROM p.paused_until - now()))::int END AS paused_for,
            p.pause_reason,
            CASE WHEN p.rate IS NULL THEN 0 ELSE greatest(0, p.rate_wait + (r.n - 1) / p.rate) END AS start_in,
            coalesce(p.rate_wait, 0) AS rate_wait, coalesce(p.reserved, 0) AS reserved
       FROM req r
       LEFT JOIN plan p ON p.host = r.host
       LEFT JOIN granted g ON g.holder = r.holder
      ORDER BY r.ord`,
    [
      requests.map((r) => r.host),
      requests.map((r) => r.maxConcurrency),
      requests.map((r) => r.maxRate),
      requests.map((r) => r.holder),
      leaseSeconds,
      MAX_RATE_WAIT_SECONDS,
    ],
  );
  return rows.map((row): SlotAnswer => {
    if (!row.known) return { granted: false, host: row.host, reason: 'unknown' };
    if (row.slot !== null) return { granted: true, slot: row.slot, holder: row.holder, host: row.host, startInMs: Math.round((row.start_in ?? 0) * 1000) };
    if (row.paused_for !== null) return { granted: false, host: row.host, reason: 'paused', retryAfterSeconds: Math.max(1, row.paused_for), pauseReason: row.pause_reason };
    // Refused by the rate when it reserved nothing although the host was not paused and the wait was long.
    if (row.reserved === 0 && row.rate_wait > MAX_RATE_WAIT_SECONDS) {
      return { granted: false, host: row.host, reason: 'rate', retryAfterSeconds: Math.max(1, Math.ceil(row.rate_wait)) };
    }
    // Every slot taken: one usually frees within a download's time; spread the comebacks.
    return { granted: false, host: row.host, reason: 'slots', retryAfterSeconds: 1 + Math.floor(Math.random() * 3) };
  });
}

/** Creates the `fetch_hosts` rows of hosts seen for the first time (then acquireHostSlots can lock them). */
export async function registerHosts(pool: pg.Pool, hosts: readonly string[]): Promise<void> {
  await pool.query(`INSERT INTO fetch_hosts (host) SELECT DISTINCT unnest($1::text[]) ON CONFLICT (host) DO NOTHING`, [hosts]);
}
