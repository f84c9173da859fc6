import { join } from 'node:path';
import { startFixtureCdn } from '../src/local/fixture-cdn.ts';
import { enqueuePendingImages } from '../src/queue/enqueue.ts';
import { startTestEnvironment } from '../test/helpers/environment.ts';
import type { CorpusImage } from './corpus.ts';
import { bundleChild } from './bundle.ts';
import { workerLambdaEnv } from './lambda-env.ts';
import { round, runInChild } from './measure.ts';
import { seedPendingImages } from './seed.ts';
import type { WorkerRun } from './worker-process.ts';

export interface WorkerMemoryResult {
  photos: number;
  megapixelsEach: number[];
  workerConcurrency: number;
  done: number;
  /** Peak RSS of a worker process that handled one batch of all the photos, with the Lambda's environment. */
  peakRssMb: number;
  /** The same without MALLOC_ARENA_MAX (glibc's default arenas): why serverless.yml sets it. */
  peakRssMbDefaultMalloc: number;
  /** Peak RSS of the same process with an empty queue: Node, the SDKs, pg. */
  idlePeakRssMb: number;
}

/**
 * One worker process (as one Lambda container) receives one batch of ten 12 MP+ photos and handles
 * it at WORKER_CONCURRENCY; its peak RSS is the memory a Lambda needs. An empty-queue run of the same
 * process gives the floor.
 */
export async function benchWorkerMemory(photos: readonly CorpusImage[]): Promise<WorkerMemoryResult> {
  const cdn = await startFixtureCdn();
  const env = await startTestEnvironment({
    FETCH_ALLOW_HOSTS: '127.0.0.1',
    LOCAL_VISIBILITY_TIMEOUT: '600',
    LOCAL_BATCH_SIZE: '10',
    LOCAL_MAX_CONCURRENCY: '1',
  });
  const { ctx } = env;
  const script = await bundleChild(join(import.meta.dirname, 'worker-process.ts'));
  try {
    const runWorker = (env: Record<string, string>) => runInChild<{ config: typeof ctx.config }, WorkerRun>(script, { config: ctx.config }, env);
    const idle = await runWorker(workerLambdaEnv);
    const urls = photos.map((photo, i) => {
      cdn.set(`/large/${i}.jpg`, { body: photo.data, contentType: 'image/jpeg' });
      return cdn.url(`/large/${i}.jpg`);
    });
    const batch = async (env: Record<string, string>) => {
      // Links go with the products (ON DELETE CASCADE); the sources go too, or the same URLs would be done already.
      await ctx.pool.query(`DELETE FROM products`);
      await ctx.pool.query(`DELETE FROM image_sources`);
      await seedPendingImages(ctx, 'bench-memory', urls, 10);
      await enqueuePendingImages(ctx);
      const run = await runWorker(env);
      const { rows } = await ctx.pool.query<{ done: number }>(`SELECT count(*)::int AS done FROM image_sources WHERE status = 'done'`);
      return { peakRssMb: run.peakRssMb, done: rows[0]!.done };
    };
    const { UV_THREADPOOL_SIZE } = workerLambdaEnv;
    const defaultMalloc = await batch({ UV_THREADPOOL_SIZE });
    const lambda = await batch(workerLambdaEnv);
    return {
      photos: photos.length,
      megapixelsEach: photos.map((p) => round((p.width * p.height) / 1e6, 1)),
      workerConcurrency: ctx.config.worker.concurrency,
      done: Math.min(lambda.done, defaultMalloc.done),
      peakRssMb: round(lambda.peakRssMb, 0),
      peakRssMbDefaultMalloc: round(defaultMalloc.peakRssMb, 0),
      idlePeakRssMb: round(idle.peakRssMb, 0),
    };
  } finally {
    await env.stop();
    await cdn.close();
  }
}
