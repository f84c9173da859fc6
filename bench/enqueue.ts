import { queueDepth } from '../src/queue/queue-depth.ts';
import type { AppContext } from '../src/context.ts';
import { enqueuePendingImages } from '../src/queue/enqueue.ts';
import { startTestEnvironment } from '../test/helpers/environment.ts';
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

type Queryable = { query: (...args: unknown[]) => unknown };
type Connect = (callback?: (error: Error | undefined, client: Queryable | undefined, done: unknown) => void) => unknown;

/**
 * Counts every statement sent to the server from here on: pool.query and transactions both run on a
 * client checked out with pool.connect, so wrapping the clients it hands out sees them all.
 */
function countQueries(ctx: AppContext) {
  let count = 0;
  const counted = new WeakSet<Queryable>();
  const patch = (client: Queryable) => {
    if (counted.has(client)) return;
    counted.add(client);
    const query = client.query.bind(client);
    client.query = (...args) => {
      count += 1;
      return query(...args);
    };
  };
  const pool = ctx.pool as unknown as { connect: Connect };
  const connect = pool.connect.bind(pool);
  pool.connect = (callback) => {
    if (callback) {
      return connect((error, client, done) => {
        if (client) patch(client);
        callback(error, client, done);
      });
    }
    return (connect() as Promise<Queryable>).then((client) => (patch(client), client));
  };
  return () => count;
}

function countSqsCalls(ctx: AppContext) {
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
    const queries = countQueries(ctx);
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
      dbRoundTrips: queries(),
      dbRoundTripsPer10Messages: round((queries() / run.value.enqueued) * 10, 3),
      // The depth check above is one more call, not part of enqueueing.
      sqsCalls: sqsCalls() - 1,
    };
  } finally {
    await env.stop();
  }
}
