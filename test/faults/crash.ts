import { queueDepth } from '../../src/queue/queue-depth.ts';
import { loadConfig } from '../../src/config.ts';
import type { AppContext } from '../../src/context.ts';
import type { FixtureCdn } from '../../src/local/fixture-cdn.ts';
import { handleImageBatch } from '../../src/images/handle-image-batch.ts';
import { runLocalWorker } from '../../src/local/local-worker.ts';
import { pollQueue } from '../../src/local/queue-poller.ts';
import { renderSampleImage } from '../../src/local/sample-images.ts';
import { enqueuePendingImages } from '../../src/queue/enqueue.ts';
import { checkPipelineInvariants } from '../helpers/invariants.ts';
import { seedProduct } from '../helpers/seed.ts';
import { startWorkerProcess } from '../helpers/worker-process.ts';
import { describeImages, resultFrom, type ScenarioResult, waitUntil } from './outcome.ts';

/**
 * Whether the run has a PostgreSQL server (DATABASE_URL). Embedded PGlite is one session inside the
 * test process: a second process cannot share it safely, so the crash is then simulated in-process.
 */
export const crashesRealProcess = loadConfig().databaseUrl !== undefined;

/**
 * How the repair happens after the crash:
 * - `redelivery`: the queue allows more receives than the processing lease lasts in visibility
 *   timeouts (as in production: 5 × 360 s > 900 s). The messages come back, find the dead worker's
 *   live lease (`busy`, retried), and the first receive after the lease ran out claims and finishes.
 * - `sweep`: receives run out first, so the messages go to the DLQ while the rows sit in processing.
 *   Once the lease runs out, the tick's lease sweep (enqueuePendingImages) sends them again.
 */
export type CrashRepair = 'redelivery' | 'sweep';

/** The environment each repair path runs in (merged over the fault scenarios' settings). */
export const crashEnv = {
  redelivery: { MAX_RECEIVES: '30', PROCESSING_LEASE_SECONDS: '10' },
  sweep: { MAX_RECEIVES: '2', PROCESSING_LEASE_SECONDS: '10' },
} as const;

const IMAGES = 6;

/**
 * Kills a worker in the middle of a batch: every image claimed (processing, lease running), every
 * download held by the CDN, no message acknowledged. With a server database, a real `work` child
 * process gets SIGKILL. With PGlite, an in-process poller runs the real handler with a downloader
 * that never returns and is abandoned, which leaves exactly the same state behind.
 */
async function crashMidBatch(ctx: AppContext, cdn: FixtureCdn, paths: readonly string[], sourceIds: readonly number[]): Promise<string> {
  const processing = async () => {
    const { rows } = await ctx.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM image_sources WHERE id = ANY($1::bigint[]) AND status = 'processing'`,
      [sourceIds],
    );
    return rows[0]!.n === sourceIds.length;
  };
  if (crashesRealProcess) {
    // One poller holding one batch of everything: it never receives the messages a second time.
    const worker = startWorkerProcess(ctx, { LOCAL_BATCH_SIZE: '10', LOCAL_MAX_CONCURRENCY: '1', WORKER_CONCURRENCY: String(IMAGES) });
    const { child, exited } = worker;
    try {
      await waitUntil('the worker process holds every image mid-download', async () => {
        if (child.exitCode !== null) throw new Error(`worker process exited early (${child.exitCode}): ${worker.stderr()}`);
        return paths.every((path) => cdn.hits(path) > 0) && (await processing());
      });
    } catch (error) {
      // A scenario that breaks before the crash must not leave the worker polling after the test.
      child.kill('SIGKILL');
      throw error;
    }
    child.kill('SIGKILL');
    const [, signal] = await exited;
    return `worker process ${String(signal)} mid-batch`;
  }
  const hang = new Promise<never>(() => {});
  const frozen = new AbortController();
  // Deliberately not awaited: this poller is stuck inside its invocation forever, like a dead process.
  void pollQueue(
    {
      sqs: ctx.sqs,
      queueUrl: ctx.queueUrl,
      handler: (event) => handleImageBatch(ctx, { download: () => hang }, event),
      batchSize: 10,
      maxConcurrency: 1,
      log: ctx.log,
    },
    { untilIdle: false, signal: frozen.signal },
  );
  await waitUntil('the frozen worker holds every image', processing);
  frozen.abort();
  return 'worker frozen mid-batch (in-process, PGlite)';
}

/**
 * SIGKILL in the middle of a batch, then a fresh worker: nothing stays in processing, every image
 * finishes once, the bucket and product URLs match. See CrashRepair for the two ways back.
 */
export async function runCrashScenario(ctx: AppContext, cdn: FixtureCdn, repair: CrashRepair): Promise<ScenarioResult> {
  const paths = Array.from({ length: IMAGES }, (_, n) => `/crash-${repair}/${n}.jpg`);
  const bodies = await Promise.all(paths.map((_, n) => renderSampleImage({ label: `CRASH${n}`, width: 160, height: 120, format: 'jpeg', hue: n * 50 })));
  // The CDN holds every download, so the worker is surely mid-batch when it dies.
  for (const [n, path] of paths.entries()) cdn.set(path, { body: bodies[n]!, delayMs: 60_000 });
  const { imageIds } = await seedProduct(ctx, 'crash', `C-${repair}`, paths.map((p) => cdn.url(p)));
  await enqueuePendingImages(ctx);

  const how = await crashMidBatch(ctx, cdn, paths, imageIds);
  const problems: string[] = [];
  const left = await describeImages(ctx, imageIds);
  if (left !== `${IMAGES} × processing after 1 attempt`) problems.push(`right after the crash: ${left}`);
  // The supplier answers at once from now on.
  for (const [n, path] of paths.entries()) cdn.set(path, { body: bodies[n]! });

  await runLocalWorker(ctx, { untilIdle: true });
  if (repair === 'sweep') {
    const between = await describeImages(ctx, imageIds);
    if (between !== `${IMAGES} × processing after 1 attempt`) problems.push(`before the sweep: ${between}`);
    const dlq = await queueDepth(ctx.sqs, ctx.dlqUrl!);
    if (dlq.visible !== IMAGES) problems.push(`the DLQ holds ${dlq.visible} messages, expected the ${IMAGES} busy ones`);
    await waitUntil('the dead worker’s leases run out', async () => {
      const { rows } = await ctx.pool.query(`SELECT 1 FROM image_sources WHERE id = ANY($1::bigint[]) AND lease_until >= now()`, [imageIds]);
      return rows.length === 0;
    });
    const swept = await enqueuePendingImages(ctx);
    if (swept.resent !== IMAGES) problems.push(`the lease sweep re-sent ${swept.resent} images, expected ${IMAGES}`);
    await runLocalWorker(ctx, { untilIdle: true });
  } else {
    const dlq = await queueDepth(ctx.sqs, ctx.dlqUrl!);
    if (dlq.visible !== 0) problems.push(`the DLQ holds ${dlq.visible} messages`);
  }
  const report = await checkPipelineInvariants(ctx);
  return resultFrom(
    `${how}, repaired by ${repair === 'sweep' ? 'the lease sweep' : 'redelivery'}`,
    `${IMAGES} × done after 2 attempts`,
    await describeImages(ctx, imageIds),
    report,
    problems,
  );
}
