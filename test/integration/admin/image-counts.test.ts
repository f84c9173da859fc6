import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectOrphanMedia } from '../../../src/admin/collect-orphan-media.ts';
import { listImports, listSupplierProgress } from '../../../src/admin/import-progress.ts';
import { requeueFailedImages } from '../../../src/admin/requeue-failed.ts';
import { getStatus } from '../../../src/admin/status.ts';
import type { AppContext } from '../../../src/context.ts';
import { type FixtureCdn, startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import { runLocalWorker } from '../../../src/local/local-worker.ts';
import { renderSampleImage } from '../../../src/local/sample-images.ts';
import { enqueuePendingImages } from '../../../src/queue/enqueue.ts';
import { importFile } from '../../helpers/catalog.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { countsFromScratch, keptCounts } from '../../helpers/image-counts.ts';
import { buildCsv } from '../../helpers/spreadsheets.ts';

/**
 * The counts behind `status`, `imports` and the suppliers' progress are kept by triggers as sources
 * and links change (migration 0009). Through a catalog's whole life they must stay what counting
 * every row from scratch gives.
 */
describe('kept image counts: equal to a count from scratch after every step', () => {
  let env: TestEnvironment;
  let ctx: AppContext;
  let cdn: FixtureCdn;
  const url = (name: string) => cdn.url(`/${name}.jpg`);
  const sheet = (rows: Array<[string, string[]]>) =>
    buildCsv([['SKU', 'Title', 'Images'], ...rows.map(([sku, images]) => [sku, sku, images.map(url).join(' | ')])]);
  const expectCountsKept = async () => expect(await keptCounts(ctx)).toEqual(await countsFromScratch(ctx));
  const drain = async () => {
    await enqueuePendingImages(ctx);
    await runLocalWorker(ctx, { untilIdle: true });
  };

  beforeAll(async () => {
    cdn = await startFixtureCdn();
    env = await startTestEnvironment({ FETCH_ALLOW_HOSTS: '127.0.0.1' });
    ctx = env.ctx;
    for (const [n, name] of ['a', 'b', 'c', 'd', 'e', 'shared'].entries()) {
      cdn.set(`/${name}.jpg`, { body: await renderSampleImage({ label: name, width: 240, height: 160, format: 'jpeg', hue: n * 50 }) });
    }
  });
  afterAll(async () => {
    await env?.stop();
    await cdn?.close();
  });

  it('imports two suppliers sharing a picture, then counts each distinct source once per scope', async () => {
    // North links a.jpg twice and shared.jpg twice; south links shared.jpg too; missing.jpg is a 404.
    const north = await importFile(ctx, 'north', 'north-1.csv', sheet([['N-1', ['a', 'b', 'shared']], ['N-2', ['c', 'shared']], ['N-3', ['missing', 'a']]]));
    const south = await importFile(ctx, 'south', 'south-1.csv', sheet([['S-1', ['shared', 'd']]]));
    expect([north.status, south.status]).toEqual(['done', 'done']);
    await expectCountsKept();

    const status = await getStatus(ctx);
    expect(status).toMatchObject({ products: 4, images: { pending: 6, queued: 0, processing: 0, done: 0, failed: 0 } });
    const imports = await listImports(ctx);
    expect(imports.map((i) => [i.supplier, i.images.total])).toEqual([['south', 2], ['north', 5]]);
    const suppliers = await listSupplierProgress(ctx);
    expect(suppliers.map((s) => [s.supplier, s.products, s.images.pending])).toEqual([['north', 3], ['south', 1]].map(([s, p]) => [s, p, s === 'north' ? 5 : 2]));
  });

  it('re-imports a reordered gallery, a dropped and a new picture: the changed links move to the new import', async () => {
    const again = await importFile(ctx, 'north', 'north-2.csv', sheet([['N-1', ['shared', 'b', 'a']], ['N-2', ['c', 'e']], ['N-3', ['missing', 'a']]]));
    expect(again).toMatchObject({ status: 'done', imagesPending: 1 });
    await expectCountsKept();
    const [latest, first] = await listImports(ctx, { supplier: 'north' });
    // The links whose source changed now belong to the new import (N-1's first and last, N-2's
    // second: shared, a, e); the rest stay with the first (b, c, and N-3's missing and a).
    expect(latest!.images).toMatchObject({ pending: 3, total: 3 });
    expect(first!.images).toMatchObject({ pending: 4, total: 4 });
    // shared.jpg is still linked by N-1, so north still counts it; e.jpg is new.
    expect((await getStatus(ctx, { supplier: 'north' })).images.pending).toBe(6);
  });

  it('enqueues, converts and fails images: counts follow each state', async () => {
    await enqueuePendingImages(ctx);
    await expectCountsKept();
    expect((await getStatus(ctx)).images).toMatchObject({ pending: 0, queued: 7 });
    await runLocalWorker(ctx, { untilIdle: true });
    await expectCountsKept();
    const status = await getStatus(ctx);
    expect(status.images).toMatchObject({ pending: 0, queued: 0, processing: 0, done: 6, failed: 1 });
    expect(status.failuresByKind).toEqual([{ kind: expect.any(String), count: 1 }]);
    expect((await getStatus(ctx, { supplier: 'south' })).images).toMatchObject({ done: 2, failed: 0 });
  });

  it('re-queues the failure and re-checks done images, then drains again', async () => {
    cdn.set('/missing.jpg', { body: await renderSampleImage({ label: 'found', width: 240, height: 160, format: 'jpeg', hue: 300 }) });
    expect(await requeueFailedImages(ctx, { supplier: 'north' })).toMatchObject({ requeued: 1 });
    await expectCountsKept();
    expect((await getStatus(ctx)).failuresByKind).toEqual([]);
    expect(await requeueFailedImages(ctx, { supplier: 'south', revalidate: true })).toMatchObject({ requeued: 2 });
    await expectCountsKept();
    expect((await getStatus(ctx)).images).toMatchObject({ pending: 3, done: 4 });
    await drain();
    await expectCountsKept();
    expect((await getStatus(ctx)).images).toMatchObject({ pending: 0, done: 7, failed: 0 });
  });

  it('drops pictures from the catalog, and media-gc prunes the sources no product links', async () => {
    const dropped = await importFile(ctx, 'north', 'north-3.csv', sheet([['N-1', ['b', 'a']], ['N-2', ['c']], ['N-3', ['missing', 'a']]]));
    expect(dropped.status).toBe('done');
    await expectCountsKept();
    // e.jpg is linked by nobody now; shared.jpg is still south's.
    expect(await collectOrphanMedia(ctx, { graceSeconds: 0 })).toMatchObject({ unlinkedSources: 1 });
    await expectCountsKept();
    expect((await getStatus(ctx)).images).toMatchObject({ done: 6 });
    expect((await getStatus(ctx, { supplier: 'north' })).images).toMatchObject({ done: 4 });
  });
});
