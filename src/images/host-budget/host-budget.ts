import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Config } from '../../config.ts';
import { ErrorKind, ImageError } from '../errors.ts';
import { coalesceCalls } from './coalesce-calls.ts';
import { acquireHostSlots, registerHosts, type SlotAnswer, type SlotRequest } from './acquire-host-slots.ts';
import { releaseHostSlots, type SlotRelease } from './release-host-slots.ts';

/** The per-host limits that apply to one download: the strictest of its suppliers', else the fleet's. */
export interface HostLimits {
  /** null: no concurrency limit. */
  maxConcurrency: number | null;
  /** null: no rate limit. */
  maxRate: number | null;
}

/** A download may start (after `startInMs`, the rate's booking); give the slot back with `release`. */
export interface HostPermit {
  granted: true;
  host: string;
  startInMs: number;
  /** Set when a slot was taken (a budget applies); absent when none does. */
  slot?: { slot: number; holder: string };
}

/** The download may not start now: its message comes back after `retryAfterSeconds`, no attempt spent. */
export interface HostRefusal {
  granted: false;
  host: string;
  reason: 'paused' | 'rate' | 'slots';
  retryAfterSeconds: number;
  message: string;
}

export interface HostBudget {
  acquire(host: string, limits: HostLimits): Promise<HostPermit | HostRefusal>;
  /** Frees the slot; `failure` (the download's error, if any) may pause the host for every worker. */
  release(permit: HostPermit, failure?: unknown): Promise<void>;
}

/** Slots a host may hold when only a rate is set: enough never to be the limit. */
const UNLIMITED_SLOTS = 1000;

/** Waits for a slot before the message is given back: at most SLOT_RETRIES × SLOT_RETRY_MS. */
const SLOT_RETRIES = 4;
const SLOT_RETRY_MS = 250;

/** What a download's end tells the other workers about the host. */
function hostSignal(failure: unknown): Pick<SlotRelease, 'pauseSeconds' | 'strike' | 'answered' | 'reason'> {
  if (!(failure instanceof ImageError) || failure.httpStatus === undefined) return { answered: failure === undefined };
  const { httpStatus, retryAfterSeconds } = failure;
  if ((httpStatus === 429 || httpStatus === 503) && retryAfterSeconds !== undefined && retryAfterSeconds > 0) {
    return { pauseSeconds: retryAfterSeconds, strike: httpStatus === 429, reason: `HTTP ${httpStatus} with Retry-After ${retryAfterSeconds} s` };
  }
  if (httpStatus === 429) return { strike: true, reason: 'HTTP 429 several times in a row' };
  return { answered: true };
}

const describeRefusal = (answer: Exclude<SlotAnswer, { granted: true } | { reason: 'unknown' }>) =>
  answer.reason === 'paused'
    ? `${answer.host} is paused for ${answer.retryAfterSeconds} s${answer.pauseReason ? ` (${answer.pauseReason})` : ''}`
    : answer.reason === 'rate'
      ? `${answer.host}: its request rate allows the next start in ${answer.retryAfterSeconds} s`
      : `${answer.host}: every download slot is taken`;

/**
 * The fleet-wide per-host budget as one worker batch uses it: `acquire` before a download, `release`
 * when its body is in (before conversion). A host whose slots are all taken is asked again for up to
 * a second before the download is refused. Concurrent acquires (and releases) of the batch go to
 * Postgres together (coalesceCalls). A host refused or paused once in this batch is refused again
 * without asking, until the time it was given, so a batch never hammers a host it was told to leave alone.
 * Downloads whose limits are both null take no slot and cost no statement.
 */
export function createHostBudget(pool: pg.Pool, config: Config['hostBudget'], now: () => number = Date.now): HostBudget {
  const leftAlone = new Map<string, { until: number; refusal: HostRefusal }>();

  const acquireMany = async (requests: SlotRequest[]): Promise<SlotAnswer[]> => {
    const answers = await acquireHostSlots(pool, requests, config.slotLeaseSeconds);
    const unknown = answers.flatMap((a, i) => (!a.granted && a.reason === 'unknown' ? [i] : []));
    if (unknown.length === 0) return answers;
    await registerHosts(pool, unknown.map((i) => requests[i]!.host));
    const retried = await acquireHostSlots(pool, unknown.map((i) => requests[i]!), config.slotLeaseSeconds);
    unknown.forEach((i, n) => (answers[i] = retried[n]!));
    return answers;
  };
  const acquireOne = coalesceCalls(acquireMany);
  const releaseOne = coalesceCalls(async (releases: SlotRelease[]) => {
    await releaseHostSlots(pool, releases);
    return releases.map(() => undefined);
  });

  const remember = (refusal: HostRefusal) => leftAlone.set(refusal.host, { until: now() + refusal.retryAfterSeconds * 1000, refusal });

  return {
    async acquire(host, limits) {
      if (limits.maxConcurrency === null && limits.maxRate === null) return { granted: true, host, startInMs: 0 };
      const known = leftAlone.get(host);
      if (known && known.until > now()) {
        return { ...known.refusal, retryAfterSeconds: Math.max(1, Math.ceil((known.until - now()) / 1000)) };
      }
      const request = { host, maxConcurrency: limits.maxConcurrency ?? UNLIMITED_SLOTS, maxRate: limits.maxRate, holder: randomUUID() };
      let answer = await acquireOne(request);
      // A full host usually frees a slot within one download: ask again a few times before giving the
      // message back, so a busy host costs a short wait in the worker rather than a round trip through SQS.
      for (let retry = 1; !answer.granted && answer.reason === 'slots' && retry <= SLOT_RETRIES; retry++) {
        const other = leftAlone.get(host);
        if (other && other.until > now()) break;
        await sleep(SLOT_RETRY_MS);
        answer = await acquireOne(request);
      }
      if (answer.granted) return { granted: true, host, startInMs: answer.startInMs, slot: { slot: answer.slot, holder: answer.holder } };
      if (answer.reason === 'unknown') throw new ImageError(ErrorKind.database, `host ${host} could not be registered in fetch_hosts`);
      const refusal: HostRefusal = { granted: false, host, reason: answer.reason, retryAfterSeconds: answer.retryAfterSeconds, message: describeRefusal(answer) };
      remember(refusal);
      return refusal;
    },

    async release(permit, failure) {
      const signal = hostSignal(failure);
      if (signal.pauseSeconds !== undefined) {
        remember({
          granted: false,
          host: permit.host,
          reason: 'paused',
          retryAfterSeconds: Math.ceil(signal.pauseSeconds),
          message: `${permit.host} is paused for ${Math.ceil(signal.pauseSeconds)} s (${signal.reason})`,
        });
      }
      if (!permit.slot) return;
      await releaseOne({ host: permit.host, ...permit.slot, ...signal });
    },
  };
}
