import { performance } from 'node:perf_hooks';
import type { AppContext } from '../context.ts';
import type { ImageMessage } from '../queue/messages.ts';
import { convertToWebp } from './convert.ts';
import { classifyError, ErrorKind, ImageError } from './errors.ts';
import type { Downloaded, NotModified, Validators } from './fetch.ts';
import { claimSourceForProcessing, markSourceDone, markSourceFailed, markSourceRetrying, type SourceResult } from './image-rows.ts';
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
    | { result: 'retry'; kind: string; message: string; retryAfterSeconds?: number | undefined }
  );

/**
 * Fetch, convert, store and record one image source. Every path ends in a recorded state: done,
 * unchanged (a re-check answered 304), failed with a kind, skipped (nothing to do), or retry (the message comes back; on its last allowed receive
 * the image is failed as `exhausted` instead, so it never vanishes into the DLQ unrecorded).
 * Throws only when even the database cannot be reached to record the outcome.
 */
export async function processImage(
  ctx: AppContext,
  downloader: ImageDownloader,
  message: ImageMessage,
  receiveCount: number,
): Promise<ImageOutcome> {
  const { sourceId, sourceUrl } = message;
  const { processingLeaseSeconds } = ctx.config.enqueue;
  let claim;
  try {
    claim = await claimSourceForProcessing(ctx.pool, sourceId, sourceUrl, processingLeaseSeconds);
  } catch (error) {
    const failure = classifyError(error, 'database');
    return { result: 'retry', sourceId, kind: failure.kind, message: failure.message };
  }
  if (!claim.claimed) {
    if (claim.reason === 'busy') {
      // Come back when the other delivery's lease ends, instead of spending receives while it works.
      return {
        result: 'retry',
        sourceId,
        kind: 'busy',
        message: `image source ${sourceId} is being processed by another delivery`,
        retryAfterSeconds: claim.leaseSecondsLeft,
      };
    }
    return { result: 'skipped', sourceId, reason: claim.reason };
  }

  const owner = { sourceId, sourceUrl, attempt: claim.attempts };
  const ref: ImageRef = { sourceId, supplier: claim.supplier ?? undefined, importId: claim.importId };
  const record = (result: SourceResult) =>
    markSourceDone(ctx.db, owner, result).catch((error: unknown) => {
      throw classifyError(error, 'database');
    });
  try {
    const started = performance.now();
    const downloaded = await downloader.download(sourceUrl, claim.current ?? {});
    const downloadedAt = performance.now();
    if (downloaded.notModified) {
      const recorded = await record({ notModified: true });
      return recorded ? { ...ref, result: 'unchanged', downloadMs: downloadedAt - started } : { ...ref, result: 'skipped', reason: 'stale' };
    }
    const webp = await convertToWebp(downloaded.body, ctx.config.image);
    const convertMs = performance.now() - downloadedAt;
    const stored = await storeWebp(ctx.s3, ctx.config, webp.data);
    const url = publicUrlFor(ctx.config, stored.key);
    const recorded = await record({
      s3Key: stored.key,
      url,
      width: webp.width,
      height: webp.height,
      bytes: webp.data.length,
      contentHash: stored.contentHash,
      etag: downloaded.etag,
      lastModified: downloaded.lastModified,
    });
    if (!recorded) return { ...ref, result: 'skipped', reason: 'stale' };
    return {
      ...ref,
      result: 'done',
      url,
      bytesIn: downloaded.body.length,
      bytesOut: webp.data.length,
      downloadMs: downloadedAt - started,
      convertMs,
    };
  } catch (error) {
    const failure = classifyError(error);
    // Conversion and storage errors do not know the URL; admins need it next to every reason.
    const reason = failure.message.includes(sourceUrl) ? failure.message : `${sourceUrl}: ${failure.message}`;
    const lastReceive = receiveCount >= ctx.config.queue.maxReceives;
    if (!failure.transient || lastReceive) {
      const kind = failure.transient ? ErrorKind.exhausted : failure.kind;
      const text = failure.transient
        ? `gave up after ${receiveCount} attempts; last error (${failure.kind}): ${reason}`
        : reason;
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
    };
  }
}
