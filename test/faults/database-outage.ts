import type { AppContext } from '../../src/context.ts';
import type { FixtureCdn } from '../../src/local/fixture-cdn.ts';
import { runLocalWorker } from '../../src/local/local-worker.ts';
import { renderSampleImage } from '../../src/local/sample-images.ts';
import { enqueuePendingImages } from '../../src/queue/enqueue.ts';
import { checkPipelineInvariants } from '../helpers/invariants.ts';
import { seedProduct } from '../helpers/seed.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { describeImages, resultFrom, type ScenarioResult, waitUntil, withDatabaseUrl } from './outcome.ts';

/** Enough receives to outlast the outage and the processing lease it leaves behind (30 receives × 2 s visibility > 10 s lease). */
export const databaseOutageEnv = { MAX_RECEIVES: '30', PROCESSING_LEASE_SECONDS: '10' } as const;

const IMAGES = 6;

/**
 * Postgres becomes unreachable in the middle of a batch. The worker's pool goes through a TCP proxy
 * that is cut once every image is claimed and downloading: the commits fail, the retry bookkeeping
 * fails too, so the handler reports the messages as batch item failures and the rows stay in
 * processing under their lease. The messages keep coming back and failing while the database is
 * away; once it is back they wait out the lease (busy) and then finish. Nothing is acknowledged
 * without being recorded, so nothing is lost.
 */
export async function runDatabaseOutageScenario(ctx: AppContext, cdn: FixtureCdn): Promise<ScenarioResult> {
  const target = new URL(ctx.config.databaseUrl!);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const worker = withDatabaseUrl(ctx, proxy.rewrite(ctx.config.databaseUrl!));
  try {
    const paths = Array.from({ length: IMAGES }, (_, n) => `/db-outage/${n}.jpg`);
    for (const [n, path] of paths.entries()) {
      const body = await renderSampleImage({ label: `DB${n}`, width: 160, height: 120, format: 'jpeg', hue: 20 + n * 50 });
      cdn.set(path, { body, delayMs: 300 });
    }
    const { imageIds } = await seedProduct(ctx, 'db-outage', 'D-1', paths.map((p) => cdn.url(p)));
    await enqueuePendingImages(ctx);

    const working = runLocalWorker(worker, { untilIdle: true });
    await waitUntil('every image is claimed and downloading', () => paths.every((path) => cdn.hits(path) > 0));
    proxy.cut();
    // Each image's commit and its retry bookkeeping are refused; anything beyond that is a redelivered
    // message trying the database while it is still away.
    await waitUntil('redelivered messages hit the unreachable database', () => proxy.refused() > 2 * IMAGES);
    const during = await describeImages(ctx, imageIds);
    proxy.restore();
    await working;

    const problems = during === `${IMAGES} × processing after 1 attempt` ? [] : [`during the outage: ${during}`];
    const report = await checkPipelineInvariants(ctx);
    return resultFrom(
      'Postgres unreachable mid-batch, then back',
      `${IMAGES} × done after 2 attempts`,
      await describeImages(ctx, imageIds),
      report,
      problems,
    );
  } finally {
    await worker.close();
    await proxy.close();
  }
}
