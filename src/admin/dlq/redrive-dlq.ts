import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { AppContext } from '../../context.ts';
import { queueDepth } from '../../queue/queue-depth.ts';
import { requireDlq } from './require-dlq.ts';

export const RedriveMethod = {
  /** SQS moves the messages itself, asynchronously (AWS). */
  moveTask: 'move_task',
  /** Copied here: receive from the DLQ, send to the images queue, delete from the DLQ. */
  copy: 'copy',
} as const;
export type RedriveMethod = (typeof RedriveMethod)[keyof typeof RedriveMethod];

export type RedriveResult =
  | { method: typeof RedriveMethod.moveTask; taskHandle: string; depth: number }
  | { method: typeof RedriveMethod.copy; moved: number; notMoved: number; depth: number };

// Error names an endpoint gives for an action it does not implement (fauxqs: InvalidAction).
const unsupportedErrors = new Set(['InvalidAction', 'UnsupportedOperation', 'UnknownOperationException', 'NotImplemented']);

// While a batch is being copied it is hidden this long; a crash mid-copy makes it reappear in the DLQ.
const copyVisibilitySeconds = 60;

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return Attributes!.QueueArn!;
}

/**
 * Receive, send, delete, ten at a time, losing nothing: a message is deleted from the DLQ only after
 * the images queue accepted its copy; refused ones are made visible again where they were. A crash
 * between send and delete leaves a duplicate, which the worker's idempotency absorbs. Stops after
 * `depth` messages, so messages failing again into the DLQ while this runs are not chased forever.
 */
async function copyMessages(ctx: AppContext, dlqUrl: string, depth: number): Promise<{ moved: number; notMoved: number }> {
  let moved = 0;
  let notMoved = 0;
  while (moved + notMoved < depth) {
    const { Messages = [] } = await ctx.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, depth - moved - notMoved),
        VisibilityTimeout: copyVisibilitySeconds,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    const sent = await ctx.sqs
      .send(
        new SendMessageBatchCommand({
          QueueUrl: ctx.queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? '', MessageAttributes: m.MessageAttributes })),
        }),
      )
      .catch(() => ({ Successful: [] }));
    const accepted = new Set((sent.Successful ?? []).map((entry) => Number(entry.Id)));
    const done = Messages.filter((_, i) => accepted.has(i));
    const refused = Messages.filter((_, i) => !accepted.has(i));
    if (done.length > 0) {
      await ctx.sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
      );
    }
    if (refused.length > 0) {
      await ctx.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: dlqUrl,
          Entries: refused.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
        }),
      );
    }
    moved += done.length;
    notMoved += refused.length;
    if (done.length === 0) break; // the images queue refuses everything: stop rather than spin
  }
  return { moved, notMoved };
}

/**
 * Moves the DLQ's messages back to the images queue: StartMessageMoveTask where the endpoint has it
 * (AWS; asynchronous, the result says the task started), otherwise a receive/send/delete copy.
 * Messages whose image is failed by now are skipped by the worker: re-queue those images instead.
 */
export async function redriveDlq(ctx: AppContext): Promise<RedriveResult> {
  const dlqUrl = requireDlq(ctx);
  const before = await queueDepth(ctx.sqs, dlqUrl);
  const depth = before.visible + before.inFlight;
  try {
    const [sourceArn, destinationArn] = await Promise.all([queueArn(ctx.sqs, dlqUrl), queueArn(ctx.sqs, ctx.queueUrl)]);
    const task = await ctx.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }));
    ctx.log.info('DLQ redrive started', { taskHandle: task.TaskHandle, depth });
    return { method: RedriveMethod.moveTask, taskHandle: task.TaskHandle ?? '', depth };
  } catch (error) {
    if (!(error instanceof Error) || !unsupportedErrors.has(error.name)) throw error;
  }
  const copied = await copyMessages(ctx, dlqUrl, before.visible);
  ctx.log.info('DLQ redriven by copy', { ...copied, depth });
  return { method: RedriveMethod.copy, ...copied, depth };
}
