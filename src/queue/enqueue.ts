import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import type { AppContext } from '../context.ts';
import { type ClaimedImage, claimPendingImages, releaseUnsentImages } from './claim-pending-images.ts';
import { encodeImageMessage } from './messages.ts';

const SQS_BATCH = 10;
const PARALLEL_SENDS = 8;

export interface EnqueueSummary {
  enqueued: number;
  /** Of those, images sent again because their lease ran out. */
  resent: number;
  sendFailed: number;
}

/** Sends one SendMessageBatch; returns the image ids SQS did not accept. */
async function sendBatch(sqs: SQSClient, queueUrl: string, images: ClaimedImage[]): Promise<number[]> {
  try {
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: images.map((image) => ({
          Id: String(image.id),
          MessageBody: encodeImageMessage({ imageId: image.id, sourceUrl: image.sourceUrl, attempt: image.attempts }),
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
 * Claims pending (and lease-expired) images in chunks and sends one message per image, ten to a
 * SendMessageBatch call. Images whose message was refused go back to pending. Stops when a claim
 * comes back short, after `maxImages`, or at the deadline: what is left stays pending for the next
 * tick, instead of being claimed by a process about to be killed (which would leave it queued,
 * unsent, until its lease ran out).
 */
export async function enqueuePendingImages(ctx: AppContext, options: EnqueueOptions = {}): Promise<EnqueueSummary> {
  const { chunkSize, queuedLeaseSeconds } = ctx.config.enqueue;
  const limit = pLimit(PARALLEL_SENDS);
  const summary: EnqueueSummary = { enqueued: 0, resent: 0, sendFailed: 0 };
  const max = options.maxImages ?? Number.POSITIVE_INFINITY;
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  while (summary.enqueued + summary.sendFailed < max && Date.now() < deadline) {
    const want = Math.min(chunkSize, max - summary.enqueued - summary.sendFailed);
    const claimed = await claimPendingImages(ctx.pool, want, queuedLeaseSeconds);
    const batches: ClaimedImage[][] = [];
    for (let i = 0; i < claimed.length; i += SQS_BATCH) batches.push(claimed.slice(i, i + SQS_BATCH));
    const failed = (await Promise.all(batches.map((batch) => limit(() => sendBatch(ctx.sqs, ctx.queueUrl, batch))))).flat();
    await releaseUnsentImages(ctx.pool, failed);
    const failedSet = new Set(failed);
    summary.sendFailed += failed.length;
    summary.enqueued += claimed.length - failed.length;
    summary.resent += claimed.filter((c) => c.previousStatus !== 'pending' && !failedSet.has(c.id)).length;
    if (failed.length > 0) ctx.log.warn('some messages were not sent; their images are pending again', { count: failed.length });
    if (claimed.length < want || failed.length === claimed.length) break;
  }
  return summary;
}
