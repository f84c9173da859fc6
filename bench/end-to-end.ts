import { extname, join } from 'node:path';
import { startFixtureCdn } from '../src/local/fixture-cdn.ts';
import { enqueuePendingImages } from '../src/queue/enqueue.ts';
import { startTestEnvironment } from '../test/helpers/environment.ts';
import type { CorpusImage } from './corpus.ts';
import { bundleChild } from './bundle.ts';
import { workerLambdaEnv } from './lambda-env.ts';
import { median, round, runInChild, type Timing } from './measure.ts';
import type { RawSharpRun } from './raw-sharp-process.ts';
import { seedPendingImages } from './seed.ts';
import type { WorkerRun } from './worker-process.ts';

export interface EndToEndResult {
  images: number;
  rounds: number;
  /** Images done in every round together (images × rounds when all went well). */
  done: number;
  /** Images in flight in the worker: pollers × min(batch size, WORKER_CONCURRENCY); the baseline uses the same. */
  inFlight: number;
  /** The worker's fastest round; CPU and DB per image over every round. */
  worker: { imagesPerSecond: number; cpuMsPerImage: number; peakRssMb: number; invocations: number; messagesPerBatch: number };
  /** The worker's PostgreSQL statements (BEGIN/COMMIT included) and their summed wait, per image done. */
  db: { roundTripsPerImage: number; msPerImage: number; calls: number; byStatement: WorkerRun['db']['byStatement'] };
  /** Raw sharp's fastest round; CPU per image over every round. */
  rawSharp: { imagesPerSecond: number; cpuMsPerImage: number };
  /** Best worker round over best raw sharp round. */
  ratio: number;
  /** Each round's worker / raw sharp, and their median. */
  ratioByRound: number[];
  ratioMedian: number;
}

const contentTypes: Record<string, string> = { '.jpg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' };

/**
 * N images served by the fixture CDN, seeded as pending, enqueued, and consumed by the real worker
 * (runLocalWorker with LOCAL_BATCH_SIZE / LOCAL_MAX_CONCURRENCY) in its own process, writing WebP to
 * the emulator's S3 and rows to Postgres. The baseline converts the same N bodies to the same outputs
 * with raw sharp at the same number in flight, in its own process started the same way. `rounds`
 * rounds, each a worker run on fresh sources and a baseline run, in alternating order; the best of
 * each side is compared, so a noisy neighbour in one round cannot decide the ratio.
 */
export async function benchEndToEnd(corpus: readonly CorpusImage[], count: number, rounds: number): Promise<EndToEndResult> {
  const cdn = await startFixtureCdn();
  const env = await startTestEnvironment({
    FETCH_ALLOW_HOSTS: '127.0.0.1',
    // The test default (1 s) would redeliver messages whose image takes longer than that.
    LOCAL_VISIBILITY_TIMEOUT: '600',
  });
  const { ctx } = env;
  try {
    const bodies = Array.from({ length: count }, (_, i) => corpus[i % corpus.length]!);
    const { local, worker } = ctx.config;
    const inFlight = local.maxConcurrency * Math.min(local.batchSize, worker.concurrency);
    const workerScript = await bundleChild(join(import.meta.dirname, 'worker-process.ts'));
    const rawScript = await bundleChild(join(import.meta.dirname, 'raw-sharp-process.ts'));

    const baseline = async (): Promise<Timing> => {
      const input: RawSharpRun = { paths: bodies.map((image) => image.path), inFlight, image: ctx.config.image };
      return (await runInChild<RawSharpRun, Timing>(rawScript, input, workerLambdaEnv)).value;
    };
    const workerRound = async (n: number) => {
      const urls = bodies.map((image, i) => {
        const path = `/e2e/${n}/${i}${extname(image.name)}`;
        cdn.set(path, { body: image.data, contentType: contentTypes[extname(image.name)] ?? 'application/octet-stream' });
        return cdn.url(path);
      });
      await seedPendingImages(ctx, `bench-e2e-${n}`, urls, 5);
      await enqueuePendingImages(ctx);
      const run = await runInChild<{ config: typeof ctx.config }, WorkerRun>(workerScript, { config: ctx.config }, workerLambdaEnv);
      // Until the round's last row was recorded: the poller's final idle check (up to a 1 s receive wait) is not work.
      const { rows } = await ctx.pool.query<{ done: number; last: Date }>(
        `SELECT count(*)::int AS done, max(updated_at) AS last FROM image_sources WHERE status = 'done' AND source_url = ANY($1::text[])`,
        [urls],
      );
      return { run, done: rows[0]!.done, wallMs: rows[0]!.last.getTime() - run.value.startedAt };
    };

    const workers: Array<Awaited<ReturnType<typeof workerRound>>> = [];
    const raws: Timing[] = [];
    for (let n = 0; n < rounds; n++) {
      if (n % 2 === 0) {
        raws.push(await baseline());
        workers.push(await workerRound(n));
      } else {
        workers.push(await workerRound(n));
        raws.push(await baseline());
      }
    }

    const bestWorker = workers.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
    const bestRaw = raws.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
    const done = workers.reduce((sum, w) => sum + w.done, 0);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const calls = sum(workers.map((w) => w.run.value.db.calls));
    const byStatement: WorkerRun['db']['byStatement'] = {};
    for (const w of workers) {
      for (const [statement, stats] of Object.entries(w.run.value.db.byStatement)) {
        const into = (byStatement[statement] ??= { calls: 0, ms: 0 });
        into.calls += stats.calls;
        into.ms += stats.ms;
      }
    }
    const ratioByRound = workers.map((w, n) => raws[n]!.wallMs / w.wallMs);
    const invocations = sum(workers.map((w) => w.run.value.stats.invocations));
    return {
      images: count,
      rounds,
      done,
      inFlight,
      worker: {
        imagesPerSecond: round(count / (bestWorker.wallMs / 1000)),
        cpuMsPerImage: round(sum(workers.map((w) => w.run.value.cpuMs)) / (count * rounds), 1),
        peakRssMb: round(Math.max(...workers.map((w) => w.run.peakRssMb)), 0),
        invocations,
        messagesPerBatch: round(sum(workers.map((w) => w.run.value.stats.messages)) / invocations, 1),
      },
      db: { roundTripsPerImage: round(calls / done, 2), msPerImage: round(sum(workers.map((w) => w.run.value.db.ms)) / done, 2), calls, byStatement },
      rawSharp: { imagesPerSecond: round(count / (bestRaw.wallMs / 1000)), cpuMsPerImage: round(sum(raws.map((r) => r.cpuMs)) / (count * rounds), 1) },
      ratio: round(bestRaw.wallMs / bestWorker.wallMs),
      ratioByRound: ratioByRound.map((r) => round(r)),
      ratioMedian: round(median(ratioByRound)),
    };
  } finally {
    await env.stop();
    await cdn.close();
  }
}
