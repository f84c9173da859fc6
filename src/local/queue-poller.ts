import { setTimeout } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { queueDepth } from '../queue/queue-depth.ts';
import type { Log } from '../observability/logger.ts';
import type { SQSEvent, SQSRecord, SqsBatchHandler } from '../queue/sqs-event.ts';

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  handler: SqsBatchHandler;
  /** Messages per invocation (the event source's BatchSize, at most 10 here). */
  batchSize: number;
  /** Invocations at once (the event source's MaximumConcurrency). */
  maxConcurrency: number;
  log: Log;
  region?: string;
}

export interface PollStats {
  invocations: number;
  messages: number;
  failures: number;
}

/** A received SQS message in the shape Lambda's event source hands to the function. */
export function sqsRecordFromMessage(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

async function queueIsDrained(sqs: SQSClient, queueUrl: string): Promise<boolean> {
  const depth = await queueDepth(sqs, queueUrl);
  return depth.visible + depth.inFlight + depth.delayed === 0;
}

const RECOVERY_PAUSE_MS = 1_000;

function isPermanentAwsError(error: unknown): boolean {
  const { $fault, $retryable } = (error ?? {}) as { $fault?: string; $retryable?: unknown };
  return $fault === 'client' && !$retryable;
}

/**
 * Feeds the worker handler the way Lambda's SQS event source does: `maxConcurrency` pollers, each
 * receiving up to `batchSize` messages, invoking the handler with an SQS event and deleting every
 * message not named in batchItemFailures. A handler that throws fails its whole batch. Failed
 * messages reappear after the queue's visibility timeout and reach the DLQ by its redrive policy.
 * With `untilIdle`, returns once nothing is visible, in flight or delayed; otherwise runs until `signal` aborts.
 */
export async function pollQueue(options: PollerOptions, mode: { untilIdle: boolean; signal?: AbortSignal }): Promise<PollStats> {
  const { sqs, queueUrl, handler, log } = options;
  const region = options.region ?? 'us-east-1';
  const queueArn = `arn:aws:sqs:${region}:000000000000:${queueUrl.split('/').pop()}`;
  const stats: PollStats = { invocations: 0, messages: 0, failures: 0 };

  const invoke = async (messages: Message[]) => {
    const event: SQSEvent = { Records: messages.map((m) => sqsRecordFromMessage(m, queueArn, region)) };
    let failed = new Set(event.Records.map((r) => r.messageId));
    try {
      const response = await handler(event);
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch (error) {
      log.error('worker invocation failed; the whole batch will be retried', { error: String(error) });
    }
    stats.invocations += 1;
    stats.messages += messages.length;
    stats.failures += failed.size;
    const succeeded = messages.filter((m) => !failed.has(m.MessageId!));
    if (succeeded.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: succeeded.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  };

  const poll = async (): Promise<'idle' | 'busy'> => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: options.batchSize,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
      { abortSignal: mode.signal },
    );
    if (Messages.length > 0) await invoke(Messages);
    return Messages.length === 0 && mode.untilIdle && (await queueIsDrained(sqs, queueUrl)) ? 'idle' : 'busy';
  };

  // Like the event source, a failed receive or delete is not the end: the messages stay in the
  // queue and come back, so log, pause and go on.
  const loop = async () => {
    while (!mode.signal?.aborted) {
      try {
        if ((await poll()) === 'idle') return;
      } catch (error) {
        if (mode.signal?.aborted) return;
        // A request SQS refuses for good (no such queue, access denied, bad credentials) will not heal.
        if (isPermanentAwsError(error)) throw error;
        log.warn('polling the queue failed; retrying', { error: String(error) });
        await setTimeout(RECOVERY_PAUSE_MS);
      }
    }
  };

  await Promise.all(Array.from({ length: options.maxConcurrency }, loop));
  return stats;
}
