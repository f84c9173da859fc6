import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import type { AppContext } from '../context.ts';
import { ClaimKind, type ClaimedImage, claimSources, releaseUnsentImages } from './claim-pending-images.ts';
import { encodeImageMessage } from './messages.ts';

const SQS_BATCH = 10;
const PARALLEL_SENDS = 8;

export interface EnqueueSummary {
  enqueued: number;
  /** Of those, images sent again because their lease ran out. */
  resent: number;
  /** Of those, done images sent for a re-check (a conditional GET). */
  revalidating: number;
  sendFailed: number;
}

/** Sends one SendMessageBatch; returns the source ids SQS did not accept. */
async function sendBatch(sqs: SQSClient, queueUrl: string, images: ClaimedImage[]): Promise<number[]> {
  try {
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: images.map((image) => ({
          Id: String(image.id),
          MessageBody: encodeImageMessage({ sourceId: image.id, sourceUrl: image.sourceUrl, attempt: image.attempts }),
        })),
      }),
    );
    return (result.Failed ?? []).map((entry) => Number(entry.Id));
  } catch {
    return images.map((image) => image.id);
  }
}

export interface EnqueueOptions {
  maxImages?: number;
  /** Epoch milliseconds after which no new chunk is claimed (a Lambda's or an HTTP request's deadline). */
  deadline?: number;
}

/**
 * Claims image sources in chunks and sends one message per source, ten to a SendMessageBatch call:
 * first those whose lease ran out, then pending ones, then done ones due for a re-check
 * (IMAGE_REVALIDATE_AFTER). Sources whose message was refused go back where they were. Stops when
 * every kind comes back short, after `maxImages`, or at the deadline: what is left waits for the next
 * tick, instead of being claimed by a process about to be killed (which would leave it queued,
 * unsent, until its lease ran out).
 */
export async function enqueuePendingImages(ctx: AppContext, options: EnqueueOptions = {}): Promise<EnqueueSummary> {
  const { chunkSize, revalidateAfterSeconds } = ctx.config.enqueue;
  const limit = pLimit(PARALLEL_SENDS);
  const summary: EnqueueSummary = { enqueued: 0, resent: 0, revalidating: 0, sendFailed: 0 };
  const max = options.maxImages ?? Number.POSITIVE_INFINITY;
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const kinds = [ClaimKind.expired, ClaimKind.pending, ...(revalidateAfterSeconds === null ? [] : [ClaimKind.revalidate])];
  for (const kind of kinds) {
    while (summary.enqueued + summary.sendFailed < max && Date.now() < deadline) {
      const want = Math.min(chunkSize, max - summary.enqueued - summary.sendFailed);
      const claimed = await claimSources(ctx.pool, kind, {
        limit: want,
        leaseSeconds: ctx.config.queue.retentionSeconds,
        revalidateAfterSeconds: revalidateAfterSeconds ?? undefined,
      });
      const batches: ClaimedImage[][] = [];
      for (let i = 0; i < claimed.length; i += SQS_BATCH) batches.push(claimed.slice(i, i + SQS_BATCH));
      const failed = new Set((await Promise.all(batches.map((batch) => limit(() => sendBatch(ctx.sqs, ctx.queueUrl, batch))))).flat());
      await releaseUnsentImages(ctx.pool, claimed.filter((c) => failed.has(c.id)));
      const sent = claimed.filter((c) => !failed.has(c.id));
      summary.sendFailed += failed.size;
      summary.enqueued += sent.length;
      summary.resent += sent.filter((c) => c.previousStatus === 'queued' || c.previousStatus === 'processing').length;
      summary.revalidating += sent.filter((c) => c.previousStatus === 'done').length;
      if (failed.size > 0) ctx.log.warn('some messages were not sent; their images are back where they were', { count: failed.size });
      if (claimed.length < want || failed.size === claimed.length) break;
    }
  }
  return summary;
}
