import pLimit from 'p-limit';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppContext } from '../context.ts';
import type { ImageMessage } from '../queue/messages.ts';
import { convertToWebp } from './convert.ts';
import { classifyError, ErrorKind, ImageError } from './errors.ts';
import type { Downloaded, NotModified, Validators } from './fetch.ts';
import { createHostBudget, type HostBudget, type HostLimits, type HostRefusal } from './host-budget/host-budget.ts';
import {
  claimSourcesForProcessing,
  markSourceFailed,
  markSourceRetrying,
  markSourcesDone,
  releaseSources,
  type SourceClaim,
  type SourceResult,
} from './image-rows.ts';
import { publicUrlFor, storeWebp } from './store.ts';

/** What the worker needs from the downloader (src/images/fetch.ts provides it). */
export interface ImageDownloader {
  download(url: string, validators: Validators): Promise<Downloaded | NotModified>;
}

/** Which source, and (once claimed) a supplier and import that link it: what every log line carries. */
interface ImageRef {
  sourceId: number;
  supplier?: string;
  importId?: number | null;
}

export type ImageOutcome = ImageRef &
  (
    | { result: 'done'; url: string; bytesIn: number; bytesOut: number; downloadMs: number; convertMs: number }
    | { result: 'unchanged'; downloadMs: number }
    | { result: 'skipped'; reason: string }
    | { result: 'failed'; kind: string; message: string }
    | {
        result: 'retry';
        kind: string;
        message: string;
        retryAfterSeconds?: number | undefined;
        /**
         * On the message's last allowed receive, with downloads left (it waited for its host, or its
         * receives went on waiting earlier): send it again as a new message instead of letting the
         * redrive policy take it to the DLQ.
         */
        resend?: boolean;
      }
  );

/** One message of a batch, and how often SQS has delivered it. */
export interface ImageDelivery {
  message: ImageMessage;
  receiveCount: number;
}

export interface ProcessOptions {
  /** Milliseconds left before the invocation is killed (Lambda's getRemainingTimeInMillis). */
  remainingMs?: () => number;
  /** What one image may take at most (download limit plus conversion and storage). */
  attemptBudgetMs?: number;
}

/**
 * A claimed source's work before it is recorded: a result to commit with the batch, an error, or
 * `refused` by the host budget (no download happened; the source is handed back).
 */
type Work =
  | { ok: true; result: SourceResult; stats: { bytesIn: number; bytesOut: number; downloadMs: number; convertMs: number } }
  | { ok: false; error: unknown; refused?: undefined }
  | { ok: false; refused: HostRefusal };

/** The download inside a slot of its host's budget: the slot is freed as soon as the body is in, before conversion. */
async function downloadWithinBudget(
  budget: HostBudget,
  downloader: ImageDownloader,
  url: string,
  limits: HostLimits,
  current: Validators | undefined,
): Promise<Downloaded | NotModified | HostRefusal> {
  const permit = await budget.acquire(new URL(url).host, limits);
  if (!permit.granted) return permit;
  if (permit.startInMs > 0) await sleep(permit.startInMs);
  let downloaded: Downloaded | NotModified;
  try {
    downloaded = await downloader.download(url, current ?? {});
  } catch (error) {
    await budget.release(permit, error);
    throw error;
  }
  await budget.release(permit);
  return downloaded;
}

async function fetchConvertStore(
  ctx: AppContext,
  downloader: ImageDownloader,
  budget: HostBudget,
  url: string,
  limits: HostLimits,
  current: Validators | undefined,
): Promise<Work> {
  try {
    const started = performance.now();
    const downloaded = await downloadWithinBudget(budget, downloader, url, limits, current);
    if ('granted' in downloaded) return { ok: false, refused: downloaded };
    const downloadedAt = performance.now();
    const downloadMs = downloadedAt - started;
    if (downloaded.notModified) return { ok: true, result: { notModified: true }, stats: { bytesIn: 0, bytesOut: 0, downloadMs, convertMs: 0 } };
    const webp = await convertToWebp(downloaded.body, ctx.config.image);
    const convertMs = performance.now() - downloadedAt;
    const stored = await Promise.all(webp.renditions.map((r) => storeWebp(ctx.s3, ctx.config, r.data)));
    const variants = webp.renditions.map((r, i) => ({
      key: stored[i]!.key,
      url: publicUrlFor(ctx.config, stored[i]!.key),
      width: r.width,
      height: r.height,
      bytes: r.data.length,
    }));
    const full = variants.at(-1)!;
    const result: SourceResult = {
      s3Key: full.key,
      url: full.url,
      width: full.width,
      height: full.height,
      bytes: full.bytes,
      original: { ...webp.original, bytes: downloaded.body.length },
      contentHash: stored.at(-1)!.contentHash,
      variants,
      placeholder: webp.placeholder,
      etag: downloaded.etag,
      lastModified: downloaded.lastModified,
    };
    return { ok: true, result, stats: { bytesIn: downloaded.body.length, bytesOut: variants.reduce((sum, v) => sum + v.bytes, 0), downloadMs, convertMs } };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Turns one image's error into its recorded state: failed with its kind (permanent, or `exhausted`
 * after its last allowed download, MAX_RECEIVES real downloads), or back to queued for the message's
 * next delivery. The one place that decides retry or fail. Receives spent waiting (no slot, a paused
 * host, a busy row) are not downloads, so they never exhaust an image.
 */
async function recordFailure(ctx: AppContext, owner: SourceClaim, ref: ImageRef, error: unknown, delivery: { receiveCount: number; downloads: number }): Promise<ImageOutcome> {
  const failure = classifyError(error);
  // Conversion and storage errors do not know the URL; admins need it next to every reason.
  const reason = failure.message.includes(owner.sourceUrl) ? failure.message : `${owner.sourceUrl}: ${failure.message}`;
  const { maxReceives } = ctx.config.queue;
  const lastDownload = delivery.downloads >= maxReceives;
  if (!failure.transient || lastDownload) {
    const kind = failure.transient ? ErrorKind.exhausted : failure.kind;
    const text = failure.transient ? `gave up after ${delivery.downloads} downloads; last error (${failure.kind}): ${reason}` : reason;
    await markSourceFailed(ctx.pool, owner, kind, text);
    return { ...ref, result: 'failed', kind, message: text };
  }
  await markSourceRetrying(ctx.pool, owner, failure.kind, reason, ctx.config.queue.retentionSeconds);
  return {
    ...ref,
    result: 'retry',
    kind: failure.kind,
    message: reason,
    retryAfterSeconds: failure instanceof ImageError ? failure.retryAfterSeconds : undefined,
    resend: delivery.receiveCount >= maxReceives,
  };
}

/**
 * Fetch, convert, store and record the image sources of one batch. The database sees the batch, not
 * each image: one statement claims every source, one transaction records every finished one (so a
 * batch of ten costs about six round trips when all goes well; see `markSourcesDone`). Every path
 * ends in a recorded state: done, unchanged (a re-check answered 304), failed with a kind, skipped
 * (nothing to do), or retry (the message comes back; on its last allowed receive the image is failed
 * as `exhausted` instead, so it never vanishes into the DLQ unrecorded).
 *
 * Near the invocation's deadline no new image is started: one is started only while a whole attempt
 * (`attemptBudgetMs`) still fits, and the first always is, so a batch always makes progress. A deferred
 * source is handed back untouched and its outcome is `undefined` (its message comes back later).
 * Throws only when even the database cannot be reached to record an outcome.
 */
export async function processImages(
  ctx: AppContext,
  downloader: ImageDownloader,
  deliveries: readonly ImageDelivery[],
  options: ProcessOptions = {},
): Promise<Array<ImageOutcome | undefined>> {
  const outcomes: Array<ImageOutcome | undefined> = new Array(deliveries.length);
  // The same source twice in one batch (a duplicate delivery): the first does the work and the copies
  // share its outcome (see the end).
  const firstIndex = new Map<number, number>();
  deliveries.forEach((d, i) => {
    if (!firstIndex.has(d.message.sourceId)) firstIndex.set(d.message.sourceId, i);
  });
  const unique = [...firstIndex.values()];
  const { processingLeaseSeconds } = ctx.config.enqueue;

  let claims;
  try {
    claims = await claimSourcesForProcessing(ctx.pool, unique.map((i) => deliveries[i]!.message), processingLeaseSeconds, ctx.config.hostBudget);
  } catch (error) {
    const failure = classifyError(error, 'database');
    for (const i of unique) outcomes[i] = { result: 'retry', sourceId: deliveries[i]!.message.sourceId, kind: failure.kind, message: failure.message };
    return outcomes;
  }

  const claimed: Array<{
    index: number;
    owner: SourceClaim;
    ref: ImageRef;
    current: Validators | undefined;
    downloads: number;
    limits: HostLimits;
  }> = [];
  unique.forEach((index, n) => {
    const claim = claims[n]!;
    const { sourceId, sourceUrl } = deliveries[index]!.message;
    if (claim.claimed) {
      claimed.push({
        index,
        owner: { sourceId, sourceUrl, attempt: claim.attempts },
        ref: { sourceId, supplier: claim.supplier ?? undefined, importId: claim.importId },
        current: claim.current,
        downloads: claim.downloads,
        limits: claim.limits,
      });
    } else if (claim.reason === 'busy') {
      // Come back when the other delivery's lease ends, instead of spending receives while it works.
      outcomes[index] = {
        result: 'retry',
        sourceId,
        kind: 'busy',
        message: `image source ${sourceId} is being processed by another delivery`,
        retryAfterSeconds: claim.leaseSecondsLeft,
      };
    } else {
      outcomes[index] = { result: 'skipped', sourceId, reason: claim.reason };
    }
  });

  const limit = pLimit(ctx.config.worker.concurrency);
  const hostBudget = createHostBudget(ctx.pool, ctx.config.hostBudget);
  const timeBudget = options.attemptBudgetMs ?? 0;
  let started = 0;
  const works = await Promise.all(
    claimed.map((c) =>
      limit(async (): Promise<Work | undefined> => {
        if (started > 0 && (options.remainingMs?.() ?? Number.POSITIVE_INFINITY) < timeBudget) return undefined;
        started += 1;
        return fetchConvertStore(ctx, downloader, hostBudget, c.owner.sourceUrl, c.limits, c.current);
      }),
    ),
  );

  // Handed back untouched: deferred near the deadline, or refused by the host budget. No download
  // happened, so the claim's download is taken back and the message comes back later.
  const deferred = claimed.filter((_, n) => works[n] === undefined);
  const refused = claimed.flatMap((c, n) => {
    const work = works[n];
    return work && !work.ok && work.refused ? [{ ...c, refusal: work.refused }] : [];
  });
  await releaseSources(ctx.pool, [...deferred, ...refused].map((c) => c.owner), ctx.config.queue.retentionSeconds);
  if (deferred.length > 0) ctx.log.warn('deferred: too close to the invocation deadline', { sources: deferred.map((c) => c.owner.sourceId) });
  for (const r of refused) {
    outcomes[r.index] = {
      ...r.ref,
      result: 'retry',
      kind: r.refusal.reason === 'paused' ? 'host_paused' : 'host_busy',
      message: r.refusal.message,
      retryAfterSeconds: r.refusal.retryAfterSeconds,
      resend: deliveries[r.index]!.receiveCount >= ctx.config.queue.maxReceives,
    };
  }

  const finished = claimed.flatMap((c, n) => {
    const work = works[n];
    return work?.ok ? [{ ...c, result: work.result, stats: work.stats }] : [];
  });
  let recorded: Set<number> | undefined;
  let recordError: unknown;
  try {
    recorded = await markSourcesDone(ctx.db, finished.map((f) => ({ claim: f.owner, result: f.result })));
  } catch (error) {
    recordError = classifyError(error, 'database');
  }
  for (const f of finished) {
    if (!recorded) {
      outcomes[f.index] = await recordFailure(ctx, f.owner, f.ref, recordError, { ...deliveries[f.index]!, downloads: f.downloads });
    } else if (!recorded.has(f.owner.sourceId)) {
      outcomes[f.index] = { ...f.ref, result: 'skipped', reason: 'stale' };
    } else if (f.result.notModified) {
      outcomes[f.index] = { ...f.ref, result: 'unchanged', downloadMs: f.stats.downloadMs };
    } else {
      outcomes[f.index] = { ...f.ref, result: 'done', url: f.result.url, ...f.stats };
    }
  }
  for (const [n, c] of claimed.entries()) {
    const work = works[n];
    if (work && !work.ok && !work.refused) outcomes[c.index] = await recordFailure(ctx, c.owner, c.ref, work.error, { ...deliveries[c.index]!, downloads: c.downloads });
  }
  for (const [i, d] of deliveries.entries()) {
    const first = firstIndex.get(d.message.sourceId)!;
    if (first === i) continue;
    const outcome = outcomes[first];
    outcomes[i] = outcome === undefined || outcome.result === 'retry' ? outcome : { result: 'skipped', sourceId: d.message.sourceId, reason: 'duplicate delivery' };
  }
  return outcomes;
}
