import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import type { AppContext } from '../context.ts';
import { decodeImageMessage } from '../queue/messages.ts';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from '../queue/sqs-event.ts';
import { type ImageDownloader, type ImageOutcome, processImage } from './process-image.ts';

/** SQS allows at most 12 hours of visibility. */
const MAX_VISIBILITY_SECONDS = 43_200;

async function processRecord(ctx: AppContext, downloader: ImageDownloader, record: SQSRecord): Promise<ImageOutcome | undefined> {
  const decoded = decodeImageMessage(record.body);
  if (!decoded.ok) {
    // Nothing to record it against: it fails until the redrive policy moves it to the DLQ.
    ctx.log.error('invalid message', { messageId: record.messageId, reason: decoded.reason });
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

/**
 * The worker: processes a batch of image messages with bounded concurrency and reports the ones to
 * retry as `batchItemFailures` (transient failures, busy images, invalid bodies, unreachable database).
 * Permanent failures are recorded on the image and acknowledged.
 */
export async function handleImageBatch(
  ctx: AppContext,
  downloader: ImageDownloader,
  event: SQSEvent,
  observe: (outcome: ImageOutcome) => void = () => {},
): Promise<SQSBatchResponse> {
  const limit = pLimit(ctx.config.worker.concurrency);
  const outcomes = await Promise.all(
    event.Records.map((record) =>
      limit(async () => {
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
      observe(outcome);
    }
  }
  return { batchItemFailures };
}
