import { extname, join } from 'node:path';
import { startFixtureCdn } from '../src/local/fixture-cdn.ts';
import { enqueuePendingImages } from '../src/queue/enqueue.ts';
import { startTestEnvironment } from '../test/helpers/environment.ts';
import type { CorpusImage } from './corpus.ts';
import { bundleChild } from './bundle.ts';
import { workerLambdaEnv } from './lambda-env.ts';
import { round, runInChild, timedPool, type Timing } from './measure.ts';
import { rawSharpRenditions } from './raw-sharp.ts';
import { seedPendingImages } from './seed.ts';
import type { WorkerRun } from './worker-process.ts';

export interface EndToEndResult {
  images: number;
  done: number;
  /** Images in flight in the worker: pollers × min(batch size, WORKER_CONCURRENCY); the baseline uses the same. */
  inFlight: number;
  worker: { imagesPerSecond: number; cpuMsPerImage: number; peakRssMb: number; invocations: number; messagesPerBatch: number };
  /** The worker's PostgreSQL statements (BEGIN/COMMIT included) and their summed wait, per image done. */
  db: { roundTripsPerImage: number; msPerImage: number; calls: number; byStatement: WorkerRun['db']['byStatement'] };
  rawSharp: { imagesPerSecond: number; cpuMsPerImage: number };
  ratio: number;
}

const contentTypes: Record<string, string> = { '.jpg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' };

/**
 * N images served by the fixture CDN, seeded as pending, enqueued, and consumed by the real worker
 * (runLocalWorker with LOCAL_BATCH_SIZE / LOCAL_MAX_CONCURRENCY) in its own process, writing WebP to
 * the emulator's S3 and rows to Postgres. The baseline converts the same N bodies with raw sharp at
 * the same number in flight, before and after (best of the two, so noise cannot favour the worker).
 */
export async function benchEndToEnd(corpus: readonly CorpusImage[], count: number): Promise<EndToEndResult> {
  const cdn = await startFixtureCdn();
  const env = await startTestEnvironment({
    FETCH_ALLOW_HOSTS: '127.0.0.1',
    // The test default (1 s) would redeliver messages whose image takes longer than that.
    LOCAL_VISIBILITY_TIMEOUT: '600',
  });
  const { ctx } = env;
  try {
    const bodies = Array.from({ length: count }, (_, i) => corpus[i % corpus.length]!);
    const urls = bodies.map((image, i) => {
      const path = `/e2e/${i}${extname(image.name)}`;
      cdn.set(path, { body: image.data, contentType: contentTypes[extname(image.name)] ?? 'application/octet-stream' });
      return cdn.url(path);
    });
    await seedPendingImages(ctx, 'bench-e2e', urls, 5);
    await enqueuePendingImages(ctx);

    const { local, worker } = ctx.config;
    const inFlight = local.maxConcurrency * Math.min(local.batchSize, worker.concurrency);
    const baseline = () => timedPool(bodies, inFlight, (image) => rawSharpRenditions(image.data, ctx.config.image));
    const before = await baseline();

    const script = await bundleChild(join(import.meta.dirname, 'worker-process.ts'));
    const run = await runInChild<{ config: typeof ctx.config }, WorkerRun>(script, { config: ctx.config }, workerLambdaEnv);
    // Until the last row was recorded: the poller's final idle check (up to a 1 s receive wait) is not work.
    const { rows } = await ctx.pool.query<{ done: number; last: Date }>(
      `SELECT count(*)::int AS done, max(updated_at) AS last FROM image_sources WHERE status = 'done'`,
    );
    const wallMs = rows[0]!.last.getTime() - run.value.startedAt;

    const after = await baseline();
    const raw: Timing = before.wallMs < after.wallMs ? before : after;
    const imagesPerSecond = count / (wallMs / 1000);
    const rawPerSecond = count / (raw.wallMs / 1000);
    return {
      images: count,
      done: rows[0]!.done,
      inFlight,
      worker: {
        imagesPerSecond: round(imagesPerSecond),
        cpuMsPerImage: round(run.value.cpuMs / count, 1),
        peakRssMb: round(run.peakRssMb, 0),
        invocations: run.value.stats.invocations,
        messagesPerBatch: round(run.value.stats.messages / run.value.stats.invocations, 1),
      },
      db: {
        roundTripsPerImage: round(run.value.db.calls / rows[0]!.done, 2),
        msPerImage: round(run.value.db.ms / rows[0]!.done, 2),
        calls: run.value.db.calls,
        byStatement: run.value.db.byStatement,
      },
      rawSharp: { imagesPerSecond: round(rawPerSecond), cpuMsPerImage: round(raw.cpuMs / count, 1) },
      ratio: round(imagesPerSecond / rawPerSecond),
    };
  } finally {
    await env.stop();
    await cdn.close();
  }
}
