import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type pg from 'pg';

/**
 * Age of the oldest images-queue message, derived from Postgres: the oldest image still `queued`
 * (claimed and sent, not yet picked up by a worker) was sent at its `updated_at`. SQS's own
 * ApproximateAgeOfOldestMessage is a CloudWatch metric, not a queue attribute, and peeking the
 * images queue would count as a receive towards its redrive to the DLQ.
 * Every path to queued sets the same lease (the queue's retention) from the same `now()` as
 * `updated_at`, so the first queued row in lease order is the oldest: read from the lease index,
 * past at most the processing rows, instead of every queued row of a large backlog.
 */
export async function oldestQueuedImageAgeSeconds(pool: pg.Pool, now: Date): Promise<number | null> {
  const { rows } = await pool.query<{ oldest: Date | null }>(
    `SELECT updated_at AS oldest FROM image_sources
      WHERE status IN ('queued', 'processing') AND status = 'queued'
      ORDER BY lease_until LIMIT 1`,
  );
  const oldest = rows[0]?.oldest;
  return oldest ? Math.max(0, Math.round((now.getTime() - oldest.getTime()) / 1000)) : null;
}

/**
 * Age of the oldest DLQ message, from a peek: up to ten messages received with visibility 0 (so
 * they stay visible), the earliest SentTimestamp among them. The DLQ has no redrive policy, so the
 * receive costs nothing; with more than ten messages it is a sample (CloudWatch has the exact figure).
 */
export async function oldestMessageAgeSeconds(sqs: SQSClient, queueUrl: string, now: Date): Promise<number | null> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 0,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['SentTimestamp'],
    }),
  );
  const sent = Messages.map((m) => Number(m.Attributes?.SentTimestamp)).filter(Number.isFinite);
  return sent.length > 0 ? Math.max(0, Math.round((now.getTime() - Math.min(...sent)) / 1000)) : null;
}
