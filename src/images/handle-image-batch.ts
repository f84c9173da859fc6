import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { AppContext } from '../context.ts';
import { decodeImageMessage } from '../queue/messages.ts';
import { ErrorKind } from './errors.ts';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from '../queue/sqs-event.ts';
import { type ImageDelivery, type ImageDownloader, type ImageOutcome, processImages } from './process-image.ts';

/** Conversion, upload and the database write, on top of the download's own time limit. */
const ATTEMPT_OVERHEAD_MS = 10_000;

/** SQS allows at most 12 hours of visibility. */
const MAX_VISIBILITY_SECONDS = 43_200;

/** SQS delays a new message by at most 15 minutes. */
const MAX_DELAY_SECONDS = 900;

type Decoded = { record: SQSRecord; delivery?: ImageDelivery; outcome?: ImageOutcome };

function decodeRecord(ctx: AppContext, record: SQSRecord): Decoded {
  const decoded = decodeImageMessage(record.body);
  if (!decoded.ok && decoded.legacy) {
    // Migration 0004 put its work back to pending, to be sent anew in the new shape.
    ctx.log.info('old message acknowledged', { messageId: record.messageId, reason: decoded.reason });
    return { record, outcome: { result: 'skipped', sourceId: 0, reason: decoded.reason } };
  }
  if (!decoded.ok) {
    // Nothing to record it against: it fails until the redrive policy moves it to the DLQ.
    ctx.log.error('invalid message', { messageId: record.messageId, kind: ErrorKind.invalidMessage, reason: decoded.reason });
    return { record };
  }
  return { record, delivery: { message: decoded.message, receiveCount: Number(record.attributes.ApproximateReceiveCount ?? '1') } };
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
 * Sends the message again as a new one (its receive count starts over) and reports whether SQS took
 * it: then the old copy is acknowledged. For work that waited for its host, or still has downloads
 * left, on the old copy's last allowed receive, where a failure would send it to the DLQ unrecorded.
 */
async function resendAsNewMessage(ctx: AppContext, record: SQSRecord, delaySeconds: number): Promise<boolean> {
  try {
    await ctx.sqs.send(
      new SendMessageCommand({
        QueueUrl: ctx.queueUrl,
        MessageBody: record.body,
        DelaySeconds: Math.min(Math.ceil(delaySeconds), MAX_DELAY_SECONDS),
      }),
    );
    return true;
  } catch (error) {
    ctx.log.warn('could not send the message again; it stays a batch item failure', { messageId: record.messageId, error: String(error) });
    return false;
  }
}

export interface BatchOptions {
  /** Called with every recorded outcome (metrics). */
  observe?: (outcome: ImageOutcome) => void;
  /** Milliseconds left before the invocation is killed (Lambda's getRemainingTimeInMillis). */
  remainingMs?: () => number;
}

/**
 * The worker: processes a batch of image messages (see `processImages`) and reports the ones to
 * retry as `batchItemFailures` (transient failures, busy images, hosts out of slots or paused, invalid
 * bodies, sources deferred near the deadline, an unreachable database), each pushed back by its delay
 * (Retry-After, the end of a host's pause, a lease). Permanent failures are recorded on the source and
 * acknowledged. A retry that may not reach the DLQ (`resend`: it still has downloads left but this is
 * its last receive) goes back as a new message, and the old copy is acknowledged.
 */
export async function handleImageBatch(
  ctx: AppContext,
  downloader: ImageDownloader,
  event: SQSEvent,
  options: BatchOptions = {},
): Promise<SQSBatchResponse> {
  const decoded = event.Records.map((record) => decodeRecord(ctx, record));
  const work = decoded.filter((d) => d.delivery);
  try {
    const outcomes = await processImages(
      ctx,
      downloader,
      work.map((d) => d.delivery!),
      { remainingMs: options.remainingMs, attemptBudgetMs: ctx.config.fetch.responseTimeoutMs + ATTEMPT_OVERHEAD_MS },
    );
    work.forEach((d, i) => (d.outcome = outcomes[i]));
  } catch (error) {
    ctx.log.error('images could not be processed or recorded', { messages: work.length, error: String(error) });
  }
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const { record, outcome } of decoded) {
    if (outcome?.result === 'retry' && outcome.resend && (await resendAsNewMessage(ctx, record, outcome.retryAfterSeconds ?? 0))) {
      ctx.log.info('sent again as a new message', { messageId: record.messageId, sourceId: outcome.sourceId, kind: outcome.kind });
    } else if (outcome === undefined || outcome.result === 'retry') {
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
