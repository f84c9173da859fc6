import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { AppContext } from '../../context.ts';
import { decodeImageMessage } from '../../queue/messages.ts';
import { queueDepth } from '../../queue/queue-depth.ts';
import { requireDlq } from './require-dlq.ts';

export interface DlqMessage {
  messageId: string;
  sentAt: Date | null;
  receiveCount: number;
  /** Decoded image message (the image source's id), or why the body is not one. */
  imageId: number | null;
  sourceUrl: string | null;
  invalidBody: string | null;
  /** The image row as it is now: its status and last error say why the message ended here. */
  image: { status: string; errorKind: string | null; lastError: string | null } | null;
}

export interface DlqPeek {
  depth: number;
  messages: DlqMessage[];
}

// Long enough to page through `limit` messages without seeing one twice, short enough that a crash
// between receive and release leaves them hidden only briefly.
const peekVisibilitySeconds = 30;

/**
 * What is in the DLQ and why: up to `limit` messages, bodies decoded, with their image's current
 * status and last error. Received with a short visibility timeout and released at once
 * (visibility 0), so peeking moves and deletes nothing.
 */
export async function peekDlq(ctx: AppContext, options: { limit?: number } = {}): Promise<DlqPeek> {
  const dlqUrl = requireDlq(ctx);
  const limit = options.limit ?? 20;
  const received: Message[] = [];
  try {
    while (received.length < limit) {
      const { Messages = [] } = await ctx.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: Math.min(10, limit - received.length),
          VisibilityTimeout: peekVisibilitySeconds,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
        }),
      );
      if (Messages.length === 0) break;
      received.push(...Messages);
    }
  } finally {
    for (let i = 0; i < received.length; i += 10) {
      await ctx.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: dlqUrl,
          Entries: received.slice(i, i + 10).map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
        }),
      );
    }
  }
  const decoded = received.map((m) => ({ message: m, body: decodeImageMessage(m.Body ?? '') }));
  const ids = decoded.flatMap((d) => (d.body.ok ? [d.body.message.sourceId] : []));
  const { rows } = await ctx.pool.query<{ id: number; status: string; errorKind: string | null; lastError: string | null }>(
    `SELECT id::int, status, error_kind AS "errorKind", last_error AS "lastError" FROM image_sources WHERE id = ANY($1::bigint[])`,
    [ids],
  );
  const images = new Map(rows.map((r) => [r.id, { status: r.status, errorKind: r.errorKind, lastError: r.lastError }]));
  const depth = await queueDepth(ctx.sqs, dlqUrl);
  return {
    depth: depth.visible + depth.inFlight,
    messages: decoded.map(({ message, body }) => ({
      messageId: message.MessageId!,
      sentAt: message.Attributes?.SentTimestamp ? new Date(Number(message.Attributes.SentTimestamp)) : null,
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
      imageId: body.ok ? body.message.sourceId : null,
      sourceUrl: body.ok ? body.message.sourceUrl : null,
      invalidBody: body.ok ? null : body.reason,
      image: body.ok ? (images.get(body.message.sourceId) ?? null) : null,
    })),
  };
}
