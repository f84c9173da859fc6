import { queueDepth } from '../src/queue/queue-depth.ts';
import type { AppContext } from '../src/context.ts';
import { enqueuePendingImages } from '../src/queue/enqueue.ts';
import { startTestEnvironment } from '../test/helpers/environment.ts';
import { countQueries } from './count-queries.ts';
import { round, timed } from './measure.ts';
import { seedPendingImages } from './seed.ts';

export interface EnqueueResult {
  images: number;
  enqueued: number;
  queueDepth: number;
  seconds: number;
  messagesPerSecond: number;
  chunkSize: number;
  dbRoundTrips: number;
  dbRoundTripsPer10Messages: number;
  sqsCalls: number;
}

export function countSqsCalls(ctx: AppContext) {
  let count = 0;
  ctx.sqs.middlewareStack.add(
    (next) => (args) => {
      count += 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCountCalls' },
  );
  return () => count;
}

/** `count` pending images claimed and sent by enqueuePendingImages against the emulator, with its DB and SQS calls counted. */
export async function benchEnqueue(count: number): Promise<EnqueueResult> {
  const env = await startTestEnvironment({ LOCAL_VISIBILITY_TIMEOUT: '600' });
  const { ctx } = env;
  try {
    const urls = Array.from({ length: count }, (_, i) => `https://cdn.example.test/p/${i}.jpg`);
    await seedPendingImages(ctx, 'bench-enqueue', urls, 10);
    await ctx.pool.query('ANALYZE image_sources');
    await ctx.pool.query('ANALYZE product_images');
    const queries = countQueries(ctx.pool);
    const sqsCalls = countSqsCalls(ctx);
    const run = await timed(() => enqueuePendingImages(ctx));
    const depth = await queueDepth(ctx.sqs, ctx.queueUrl);
    const seconds = run.wallMs / 1000;
    return {
      images: count,
      enqueued: run.value.enqueued,
      queueDepth: depth.visible,
      seconds: round(seconds),
      messagesPerSecond: round(run.value.enqueued / seconds, 0),
      chunkSize: ctx.config.enqueue.chunkSize,
      dbRoundTrips: queries.calls(),
      dbRoundTripsPer10Messages: round((queries.calls() / run.value.enqueued) * 10, 3),
      // The depth check above is one more call, not part of enqueueing.
      sqsCalls: sqsCalls() - 1,
    };
  } finally {
    await env.stop();
  }
}
