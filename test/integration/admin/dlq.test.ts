import { CreateQueueCommand, PurgeQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { peekDlq } from '../../../src/admin/dlq/peek-dlq.ts';
import { purgeDlq } from '../../../src/admin/dlq/purge-dlq.ts';
import { redriveDlq } from '../../../src/admin/dlq/redrive-dlq.ts';
import { queueDepth } from '../../../src/queue/queue-depth.ts';
import type { AppContext } from '../../../src/context.ts';
import { encodeImageMessage } from '../../../src/queue/messages.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { seedFailedImages } from './seed-failures.ts';

async function drain(ctx: AppContext, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await ctx.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }));
    if (Messages.length === 0) return bodies.sort();
    bodies.push(...Messages.map((m) => m.Body!));
  }
}

const depth = async (ctx: AppContext, url: string) => {
  const d = await queueDepth(ctx.sqs, url);
  return d.visible + d.inFlight;
};

describe('DLQ: peek, redrive, purge', () => {
  let env: TestEnvironment;
  let ctx: AppContext;
  let dlqUrl: string;
  let bodies: string[];
  let imageIds: number[];

  beforeAll(async () => {
    env = await startTestEnvironment();
    ctx = env.ctx;
    dlqUrl = ctx.dlqUrl!;
    imageIds = await seedFailedImages(ctx, { supplier: 'acme', sku: 'A-1', urls: Array.from({ length: 12 }, (_, i) => `https://a.test/${i}.jpg`), kind: 'exhausted' });
  });
  afterAll(async () => env?.stop());

  beforeEach(async () => {
    await ctx.sqs.send(new PurgeQueueCommand({ QueueUrl: dlqUrl }));
    await drain(ctx, ctx.queueUrl);
    // Twelve image messages (more than one receive batch) and one the worker could not even parse.
    bodies = [...imageIds.map((sourceId, i) => encodeImageMessage({ sourceId, sourceUrl: `https://a.test/${i}.jpg`, attempt: 5 })), 'not json'].sort();
    for (const body of bodies) await ctx.sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: body }));
  });

  it('peek decodes every message, names its image and its last error, and leaves them all in place', async () => {
    const peek = await peekDlq(ctx, { limit: 50 });
    expect(peek.depth).toBe(13);
    expect(peek.messages).toHaveLength(13);
    const first = peek.messages.find((m) => m.imageId === imageIds[0]);
    expect(first).toMatchObject({ sourceUrl: 'https://a.test/0.jpg', image: { status: 'failed', errorKind: 'exhausted', lastError: 'exhausted: https://a.test/0.jpg' } });
    expect(peek.messages.find((m) => m.imageId === null)?.invalidBody).toBe('body is not JSON');
    expect((await queueDepth(ctx.sqs, dlqUrl)).visible).toBe(13); // released, not hidden
  });

  it('redrive falls back to copying on fauxqs and every body arrives in the images queue exactly once', async () => {
    const result = await redriveDlq(ctx);
    expect(result).toEqual({ method: 'copy', moved: 13, notMoved: 0, depth: 13 });
    expect(await depth(ctx, dlqUrl)).toBe(0);
    expect(await drain(ctx, ctx.queueUrl)).toEqual(bodies);
  });

  it('redrive deletes nothing from the DLQ when the destination refuses the copies', async () => {
    // A FIFO queue refuses every entry sent without a MessageGroupId: a real per-entry refusal.
    const { QueueUrl } = await ctx.sqs.send(new CreateQueueCommand({ QueueName: 'refuses.fifo', Attributes: { FifoQueue: 'true' } }));
    const result = await redriveDlq({ ...ctx, queueUrl: QueueUrl! });
    expect(result).toMatchObject({ method: 'copy', moved: 0, notMoved: 10 });
    expect(await drain(ctx, dlqUrl)).toEqual(bodies);
  });

  it('purge refuses without confirmation, then empties the DLQ', async () => {
    await expect(purgeDlq(ctx, { confirm: false })).rejects.toThrow(/confirm/);
    expect(await depth(ctx, dlqUrl)).toBe(13);
    expect(await purgeDlq(ctx, { confirm: true })).toEqual({ purged: 13 });
    expect(await depth(ctx, dlqUrl)).toBe(0);
  });
});
