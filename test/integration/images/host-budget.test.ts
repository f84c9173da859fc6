import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostBudget } from '../../../src/images/host-budget/host-budget.ts';
import { type FixtureCdn, startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import { runLocalWorker } from '../../../src/local/local-worker.ts';
import { renderSampleImage } from '../../../src/local/sample-images.ts';
import { enqueuePendingImages } from '../../../src/queue/enqueue.ts';
import type { AppContext } from '../../../src/context.ts';
import { getStatus } from '../../../src/admin/status.ts';
import { updateSupplierSettings } from '../../../src/admin/suppliers/update-supplier-settings.ts';
import { claimSourcesForProcessing } from '../../../src/images/image-rows.ts';
import { describeImages, waitUntil } from '../../faults/outcome.ts';
import { itOnServer, startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { checkPipelineInvariants } from '../../helpers/invariants.ts';
import { seedProduct } from '../../helpers/seed.ts';
import { startWorkerProcess } from '../../helpers/worker-process.ts';

/**
 * The per-host budget shared by every worker: a real `work` child process and an in-process poller
 * (its own pool, its own batches) against one fixture CDN, one database and one emulator.
 */

async function servePictures(cdn: FixtureCdn, prefix: string, count: number, route: { delayMs?: number } = {}) {
  const paths = Array.from({ length: count }, (_, n) => `/${prefix}/${n}.jpg`);
  const bodies = await Promise.all(paths.map((_, n) => renderSampleImage({ label: `${prefix}${n}`, width: 120, height: 90, format: 'jpeg', hue: n * 15 })));
  paths.forEach((path, n) => cdn.set(path, { body: bodies[n]!, ...route }));
  return { paths, bodies };
}

const totalHits = (cdn: FixtureCdn, paths: readonly string[]) => paths.reduce((sum, path) => sum + cdn.hits(path), 0);

async function hostRow(ctx: AppContext, cdn: FixtureCdn) {
  const { rows } = await ctx.pool.query<{ paused_until: Date | null; refused_at: Date | null }>(
    `SELECT paused_until, refused_at FROM fetch_hosts WHERE host = $1`,
    [new URL(cdn.baseUrl).host],
  );
  return rows[0];
}

describe('the per-host budget, shared by two workers', () => {
  const env: Record<string, TestEnvironment> = {};
  let cdn: FixtureCdn;

  beforeAll(async () => {
    cdn = await startFixtureCdn();
  });
  afterAll(async () => {
    await Promise.all(Object.values(env).map((e) => e.stop()));
    await cdn?.close();
  });

  it('a URL two suppliers share is fetched under the stricter supplier’s limits; a supplier without any gets the fleet default', async () => {
    env.limits = await startTestEnvironment({ FETCH_HOST_MAX_CONCURRENCY: '8', FETCH_HOST_MAX_RPS: '20' });
    const { ctx } = env.limits;
    await updateSupplierSettings(ctx, 'gentle', { maxConcurrency: 2 });
    await updateSupplierSettings(ctx, 'eager', { maxConcurrency: 6, maxRate: 5 });
    const shared = 'https://cdn.example.com/shared.jpg';
    const { imageIds: [sharedId] } = await seedProduct(ctx, 'gentle', 'G-1', [shared]);
    await seedProduct(ctx, 'eager', 'E-1', [shared]);
    const { imageIds: [plainId] } = await seedProduct(ctx, 'plain', 'N-1', ['https://cdn.example.com/plain.jpg']);

    const claims = await claimSourcesForProcessing(
      ctx.pool,
      [{ sourceId: sharedId!, sourceUrl: shared }, { sourceId: plainId!, sourceUrl: 'https://cdn.example.com/plain.jpg' }],
      60,
      ctx.config.hostBudget,
    );
    expect(claims.map((c) => (c.claimed ? c.limits : c))).toEqual([
      { maxConcurrency: 2, maxRate: 5 },
      { maxConcurrency: 8, maxRate: 20 },
    ]);
  });

  itOnServer('two workers never have more downloads in flight at one host than FETCH_HOST_MAX_CONCURRENCY', async () => {
    env.budget = await startTestEnvironment({
      FETCH_ALLOW_HOSTS: '127.0.0.1',
      FETCH_HOST_MAX_CONCURRENCY: '3',
      LOCAL_VISIBILITY_TIMEOUT: '30',
      LOCAL_MAX_CONCURRENCY: '2',
      WORKER_CONCURRENCY: '4',
    });
    const { ctx } = env.budget;
    // Each worker alone could hold 8 downloads open (2 pollers × 4); the CDN holds each for 300 ms.
    const { paths } = await servePictures(cdn, 'budget', 30, { delayMs: 300 });
    const { imageIds } = await seedProduct(ctx, 'budget', 'B-1', paths.map((p) => cdn.url(p)));
    await enqueuePendingImages(ctx);

    const child = startWorkerProcess(ctx, {}, ['--until-idle', '--json']);
    const [inProcess, childStats] = await Promise.all([runLocalWorker(ctx, { untilIdle: true }), child.stats()]);

    expect(cdn.peakConcurrency()).toBeLessThanOrEqual(3);
    expect(await describeImages(ctx, imageIds)).toBe('30 × done after 1 attempt');
    expect(totalHits(cdn, paths)).toBe(30);
    // Both took part, and the budget had to say no (the two together wanted up to 16 at once).
    expect(inProcess.messages).toBeGreaterThan(0);
    expect(childStats.messages).toBeGreaterThan(0);
    expect((await hostRow(ctx, cdn))?.refused_at).not.toBeNull();
    expect((await checkPipelineInvariants(ctx)).problems).toEqual([]);
  }, 120_000);

  itOnServer('a 429 with Retry-After pauses the host for both workers: no request during the pause, every image done, none exhausted', async () => {
    env.pause = await startTestEnvironment({
      FETCH_ALLOW_HOSTS: '127.0.0.1',
      // One slot: the download that gets the 429 holds it until the pause is recorded (one statement
      // frees it and pauses the host), so not one request can start between the 429 and the pause's end.
      // With more slots, a download granted in the instant before the pause commits may still start.
      FETCH_HOST_MAX_CONCURRENCY: '1',
      LOCAL_VISIBILITY_TIMEOUT: '30',
      MAX_RECEIVES: '3',
    });
    const { ctx } = env.pause;
    const { paths, bodies } = await servePictures(cdn, 'pause', 12);
    // The supplier's CDN says "slow down, come back in 3 s" to everything until the test lifts it.
    for (const path of paths) cdn.set(path, { status: 429, headers: { 'retry-after': '3' }, body: Buffer.from('slow down') });
    const { imageIds } = await seedProduct(ctx, 'pause', 'P-1', paths.map((p) => cdn.url(p)));
    await enqueuePendingImages(ctx);

    const child = startWorkerProcess(ctx, {}, ['--until-idle', '--json']);
    const inProcess = runLocalWorker(ctx, { untilIdle: true });
    let pausedUntil: Date | undefined;
    await waitUntil('a 429 has paused the host', async () => {
      pausedUntil = (await hostRow(ctx, cdn))?.paused_until ?? undefined;
      return pausedUntil !== undefined && pausedUntil.getTime() > Date.now();
    });
    const hitsWhenPaused = totalHits(cdn, paths);
    // `status` (CLI, API, page) shows the pause, until when, and the requests that led to it.
    const { hosts } = await getStatus(ctx);
    expect(hosts).toEqual([
      expect.objectContaining({ host: new URL(cdn.baseUrl).host, pausedUntil: pausedUntil, pauseReason: 'HTTP 429 with Retry-After 3 s' }),
    ]);
    expect(hosts[0]!.requestsPerSecond).toBeGreaterThan(0);

    // Sequencing, not a speed check: look again just before the pause ends, then lift the limit.
    await sleep(Math.max(0, pausedUntil!.getTime() - Date.now() - 300));
    const hitsBeforeTheEnd = totalHits(cdn, paths);
    paths.forEach((path, n) => cdn.set(path, { body: bodies[n]! }));
    await Promise.all([inProcess, child.stats()]);

    expect(hitsBeforeTheEnd - hitsWhenPaused).toBe(0);
    const { rows } = await ctx.pool.query<{ status: string; downloads: number }>(
      `SELECT status, downloads FROM image_sources WHERE id = ANY($1::bigint[])`,
      [imageIds],
    );
    expect(rows.map((r) => r.status)).toEqual(imageIds.map(() => 'done'));
    // Only the download that got the 429 was spent on it; waiting for the pause spent none.
    expect(rows.map((r) => r.downloads).sort()).toEqual([...imageIds.slice(1).map(() => 1), 2]);
    expect((await checkPipelineInvariants(ctx)).problems).toEqual([]);
  }, 120_000);

  itOnServer('a worker killed while holding slots: the slots come back after their lease, and the images finish', async () => {
    env.kill = await startTestEnvironment({
      FETCH_ALLOW_HOSTS: '127.0.0.1',
      FETCH_HOST_MAX_CONCURRENCY: '2',
      // The slot lease is the response timeout plus 5 s: 7 s here.
      FETCH_RESPONSE_TIMEOUT_MS: '2000',
      PROCESSING_LEASE_SECONDS: '8',
      MAX_RECEIVES: '30',
      LOCAL_VISIBILITY_TIMEOUT: '2',
    });
    const { ctx } = env.kill;
    const { paths, bodies } = await servePictures(cdn, 'kill', 4, { delayMs: 60_000 });
    const { imageIds } = await seedProduct(ctx, 'kill', 'K-1', paths.map((p) => cdn.url(p)));
    await enqueuePendingImages(ctx);
    const host = new URL(cdn.baseUrl).host;
    const liveSlots = async () => {
      const { rows } = await ctx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM fetch_host_slots WHERE host = $1 AND lease_until > now()`, [host]);
      return rows[0]!.n;
    };

    const child = startWorkerProcess(ctx, { LOCAL_MAX_CONCURRENCY: '1', LOCAL_BATCH_SIZE: '10', WORKER_CONCURRENCY: '4' });
    try {
      await waitUntil('the worker process holds both slots, mid-download', async () => {
        if (child.child.exitCode !== null) throw new Error(`worker process exited early: ${child.stderr()}`);
        return (await liveSlots()) === 2 && totalHits(cdn, paths) === 2;
      });
    } finally {
      child.child.kill('SIGKILL');
    }
    await child.exited;
    paths.forEach((path, n) => cdn.set(path, { body: bodies[n]! }));

    const budget = createHostBudget(ctx.pool, ctx.config.hostBudget);
    const whileHeld = await budget.acquire(host, { maxConcurrency: 2, maxRate: null });
    expect(whileHeld).toMatchObject({ granted: false, reason: 'slots' });

    await waitUntil('the dead worker’s slot leases run out', async () => (await liveSlots()) === 0, 20_000);
    const afterLease = createHostBudget(ctx.pool, ctx.config.hostBudget);
    const permit = await afterLease.acquire(host, { maxConcurrency: 2, maxRate: null });
    expect(permit.granted).toBe(true);
    await afterLease.release(permit as Extract<typeof permit, { granted: true }>);

    await runLocalWorker(ctx, { untilIdle: true });
    const { rows } = await ctx.pool.query<{ status: string }>(`SELECT status FROM image_sources WHERE id = ANY($1::bigint[])`, [imageIds]);
    expect(rows.map((r) => r.status)).toEqual(imageIds.map(() => 'done'));
    expect(await liveSlots()).toBe(0);
    expect((await checkPipelineInvariants(ctx)).problems).toEqual([]);
  }, 120_000);
});
