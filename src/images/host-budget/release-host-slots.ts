import type pg from 'pg';

/** A finished download giving its slot back, and what the host said that concerns every worker. */
export interface SlotRelease {
  host: string;
  slot: number;
  holder: string;
  /** 429/503 with Retry-After: pause the host for every worker this long. */
  pauseSeconds?: number | undefined;
  /** A 429 without Retry-After: one strike; STRIKES_BEFORE_PAUSE in a row pause the host with backoff. */
  strike?: boolean;
  /** The download got an answer that was not a 429: the host's strikes start again from zero. */
  answered?: boolean;
  /** What an admin reads next to the pause (status, page). */
  reason?: string | undefined;
}

/** 429s in a row (without Retry-After) before the host is paused: one can be a fluke, three are a message. */
export const STRIKES_BEFORE_PAUSE = 3;
/** The first pause after repeated 429s; it doubles with each further strike, up to MAX_BACKOFF_SECONDS. */
export const BACKOFF_SECONDS = 5;
export const MAX_BACKOFF_SECONDS = 300;

/**
 * Frees slots and records what their downloads learnt about the host, in one statement: the pause
 * and the freed slot commit together, so no worker can take the slot and start a request before it
 * sees the pause. The slot is deleted only if its holder is still the one that took it (a slot
 * whose lease ran out may belong to another worker now). Pauses only ever extend (`greatest`), and
 * strikes are counted on the row's newest version, so concurrent releases add up instead of
 * overwriting each other.
 */
export async function releaseHostSlots(pool: pg.Pool, releases: readonly SlotRelease[]): Promise<void> {
  if (releases.length === 0) return;
  await pool.query(
    `WITH rel AS (
       SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::float8[], $5::boolean[], $6::boolean[], $7::text[])
                  AS r(host, slot, holder, pause_seconds, strike, answered, reason)
     ), freed AS (
       DELETE FROM fetch_host_slots s USING rel r WHERE s.host = r.host AND s.slot = r.slot AND s.holder = r.holder
     ), per_host AS (
       SELECT host, max(pause_seconds) AS pause_seconds, count(*) FILTER (WHERE strike)::int AS strikes, bool_or(answered) AS answered,
              max(reason) FILTER (WHERE pause_seconds IS NOT NULL OR strike) AS reason
         FROM rel GROUP BY host
     ), outcome AS (
       SELECT h.host, p.strikes, p.answered, p.reason,
              greatest(p.pause_seconds,
                       CASE WHEN p.strikes > 0 AND h.strikes + p.strikes >= $8::int
                            THEN least($10::float8, $9::float8 * power(2, h.strikes + p.strikes - $8::int)) END) AS pause_seconds
         FROM per_host p JOIN fetch_hosts h ON h.host = p.host
        ORDER BY h.host
          FOR UPDATE OF h
     )
     UPDATE fetch_hosts h
        SET strikes = CASE WHEN o.strikes > 0 THEN h.strikes + o.strikes WHEN o.answered THEN 0 ELSE h.strikes END,
            paused_until = CASE WHEN o.pause_seconds IS NULL THEN h.paused_until
                                ELSE greatest(h.paused_until, now() + make_interval(secs => o.pause_seconds)) END,
            pause_reason = CASE WHEN o.pause_seconds IS NULL THEN h.pause_reason ELSE o.reason END,
            updated_at = now()
       FROM outcome o
      WHERE h.host = o.host AND (o.pause_seconds IS NOT NULL OR o.strikes > 0 OR (o.answered AND h.strikes > 0))`,
    [
      releases.map((r) => r.host),
      releases.map((r) => r.slot),
      releases.map((r) => r.holder),
      releases.map((r) => r.pauseSeconds ?? null),
      releases.map((r) => Boolean(r.strike)),
      releases.map((r) => Boolean(r.answered)),
      releases.map((r) => r.reason ?? null),
      STRIKES_BEFORE_PAUSE,
      BACKOFF_SECONDS,
      MAX_BACKOFF_SECONDS,
    ],
  );
}
