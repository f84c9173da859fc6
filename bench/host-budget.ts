import { startFixtureCdn, type FixtureCdn } from '../src/local/fixture-cdn.ts';
import { runLocalWorker } from '../src/local/local-worker.ts';
import { renderSampleImage } from '../src/local/sample-images.ts';
import { enqueuePendingImages } from '../src/queue/enqueue.ts';
import { startTestEnvironment } from '../test/helpers/environment.ts';
import { round } from './measure.ts';
import { seedPendingImages } from './seed.ts';

export interface PolitenessCase {
  name: string;
  hosts: number;
  /** FETCH_HOST_MAX_CONCURRENCY (0: the shared budget off). */
  budget: number;
  images: number;
  done: number;
  imagesPerSecond: number;
  /** The most requests one host (one fixture CDN) held open at once. */
  peakPerHost: number;
  /** Worker DB statements per image done (pg Pool.query calls, BEGIN/COMMIT included). */
  dbCallsPerImage: number;
}

export interface PolitenessResult {
  /** Downloads the worker could run at once: pollers × WORKER_CONCURRENCY. */
  lanes: number;
  cdnDelayMs: number;
  cases: PolitenessCase[];
  /** Throughput with the budget / without, one host: what politeness costs there. */
  oneHostRatio: number;
  /** Ten hosts with the budget / one host without it: where the budget should cost nothing. */
  tenHostsRatio: number;
}

const LANES = { LOCAL_MAX_CONCURRENCY: '4', WORKER_CONCURRENCY: '4', LOCAL_BATCH_SIZE: '10' };
const CDN_DELAY_MS = 100;
const BUDGET = 8;

/**
 * What the fleet-wide per-host budget costs in throughput: the real worker (in process, 4 pollers × 4
 * downloads = 16 lanes) drains `images` small pictures that each CDN holds 100 ms (a distant origin),
 * from one host without the budget, from one host with FETCH_HOST_MAX_CONCURRENCY=8 (half the lanes
 * wait for slots: the price of politeness), and from ten hosts with it (no host is ever full).
 */
export async function benchPoliteness(images: number): Promise<PolitenessResult> {
  const body = await renderSampleImage({ label: 'BUDGET', width: 160, height: 120, format: 'jpeg', hue: 30 });
  const run = async (name: string, hosts: number, budget: number): Promise<PolitenessCase> => {
    const cdns: FixtureCdn[] = await Promise.all(Array.from({ length: hosts }, () => startFixtureCdn()));
    const env = await startTestEnvironment({
      FETCH_ALLOW_HOSTS: '127.0.0.1',
      FETCH_HOST_MAX_CONCURRENCY: String(budget),
      LOCAL_VISIBILITY_TIMEOUT: '60',
      ...LANES,
    });
    const { ctx } = env;
    try {
      const urls = Array.from({ length: images }, (_, i) => {
        const cdn = cdns[i % hosts]!;
        cdn.set(`/budget/${i}.jpg`, { body, delayMs: CDN_DELAY_MS });
        return cdn.url(`/budget/${i}.jpg`);
      });
      await seedPendingImages(ctx, 'bench-budget', urls, 5);
      await enqueuePendingImages(ctx);
      let calls = 0;
      const query = ctx.pool.query.bind(ctx.pool);
      ctx.pool.query = ((...args: Parameters<typeof query>) => {
        calls += 1;
        return query(...args);
      }) as typeof ctx.pool.query;
      const started = Date.now();
      await runLocalWorker(ctx, { untilIdle: true });
      ctx.pool.query = query;
      const { rows } = await ctx.pool.query<{ done: number; last: Date }>(
        `SELECT count(*)::int AS done, max(updated_at) AS last FROM image_sources WHERE status = 'done'`,
      );
      const seconds = (rows[0]!.last.getTime() - started) / 1000;
      return {
        name,
        hosts,
        budget,
        images,
        done: rows[0]!.done,
        imagesPerSecond: round(images / seconds),
        peakPerHost: Math.max(...cdns.map((cdn) => cdn.peakConcurrency())),
        dbCallsPerImage: round(calls / Math.max(1, rows[0]!.done)),
      };
    } finally {
      await env.stop();
      await Promise.all(cdns.map((cdn) => cdn.close()));
    }
  };
  const without = await run('one host, budget off', 1, 0);
  const polite = await run(`one host, budget ${BUDGET}`, 1, BUDGET);
  const tenHosts = await run(`ten hosts, budget ${BUDGET}`, 10, BUDGET);
  return {
    lanes: Number(LANES.LOCAL_MAX_CONCURRENCY) * Number(LANES.WORKER_CONCURRENCY),
    cdnDelayMs: CDN_DELAY_MS,
    cases: [without, polite, tenHosts],
    oneHostRatio: round(polite.imagesPerSecond / without.imagesPerSecond),
    tenHostsRatio: round(tenHosts.imagesPerSecond / without.imagesPerSecond),
  };
}
