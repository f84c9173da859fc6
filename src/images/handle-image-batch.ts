import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import type { AppContext } from '../context.ts';
import { decodeImageMessage } from '../queue/messages.ts';
import { ErrorKind } from './errors.ts';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from '../queue/sqs-event.ts';
import { type ImageDownloader, type ImageOutcome, processImage } from './process-image.ts';

/** Conversion, upload and the database write, on top of the download's own time limit. */
const ATTEMPT_OVERHEAD_MS = 10_000;

/** SQS allows at most 12 hours of visibility. */
const MAX_VISIBILITY_SECONDS = 43_200;

async function processRecord(ctx: AppContext, downloader: ImageDownloader, record: SQSRecord): Promise<ImageOutcome | undefined> {
  const decoded = decodeImageMessage(record.body);
  if (!decoded.ok && decoded.legacy) {
    // Migration 0004 put its work back to pending, to be sent anew in the new shape.
    ctx.log.info('old message acknowledged', { messageId: record.messageId, reason: decoded.reason });
    return { result: 'skipped', sourceId: 0, reason: decoded.reason };
  }
  if (!decoded.ok) {
    // Nothing to record it against: it fails until the redrive policy moves it to the DLQ.
    ctx.log.error('invalid message', { messageId: record.messageId, kind: ErrorKind.invalidMessage, reason: decoded.reason });
    return undefined;
  }
  const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
  return processImage(ctx, downloader, decoded.message, receiveCount);
}

/** Pushes one message back by the server's Retry-After, leaving the rest of the batch alone. */
async function delayRedelivery(ctx: AppContext, record: SQSRecord, seconds: number) {
  await ctx.sqs
    .send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: ctx.queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: Math.min(Math.ceil(seconds), MAX_VISIBILITY_SECONDS),
      }),
    )
    .catch((error: unknown) => ctx.log.warn('could not delay redelivery', { messageId: record.messageId, error: String(error) }));
}

export interface BatchOptions {
  /** Called with every recorded outcome (metrics). */
  observe?: (outcome: ImageOutcome) => void;
  /** Milliseconds left before the invocation is killed (Lambda's getRemainingTimeInMillis). */
  remainingMs?: () => number;
}

/**
 * The worker: processes a batch of image messages with bounded concurrency and reports the ones to
 * retry as `batchItemFailures` (transient failures, busy images, invalid bodies, unreachable database).
 * Permanent failures are recorded on the image and acknowledged.
 *
 * Near the invocation's deadline no new image is started: a timed-out invocation would fail the whole
 * batch, finished images included. An image is started only while one full attempt
 * (FETCH_RESPONSE_TIMEOUT_MS plus conversion and storage) still fits; the first always is, so a batch
 * always makes progress. Deferred messages come back after the visibility timeout.
 */
export async function handleImageBatch(
  ctx: AppContext,
  downloader: ImageDownloader,
  event: SQSEvent,
  options: BatchOptions = {},
): Promise<SQSBatchResponse> {
  const limit = pLimit(ctx.config.worker.concurrency);
  const attemptBudgetMs = ctx.config.fetch.responseTimeoutMs + ATTEMPT_OVERHEAD_MS;
  let started = 0;
  const outcomes = await Promise.all(
    event.Records.map((record) =>
      limit(async () => {
        const remaining = options.remainingMs?.() ?? Number.POSITIVE_INFINITY;
        if (started > 0 && remaining < attemptBudgetMs) {
          ctx.log.warn('deferred: too close to the invocation deadline', { messageId: record.messageId, remainingMs: remaining });
          return { record, outcome: undefined };
        }
        started += 1;
        try {
          return { record, outcome: await processRecord(ctx, downloader, record) };
        } catch (error) {
          ctx.log.error('image could not be processed or recorded', { messageId: record.messageId, error: String(error) });
          return { record, outcome: undefined };
        }
      }),
    ),
  );
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const { record, outcome } of outcomes) {
    if (outcome === undefined || outcome.result === 'retry') {
      batchItemFailures.push({ itemIdentifier: record.messageId });
      if (outcome?.result === 'retry' && outcome.retryAfterSeconds) await delayRedelivery(ctx, record, outcome.retryAfterSeconds);
    }
    if (outcome) {
      ctx.log.info('image', { messageId: record.messageId, ...outcome });
      options.observe?.(outcome);
    }
  }
  return { batchItemFailures };
}
