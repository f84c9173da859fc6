import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requeueFailedImages } from '../../../src/admin/requeue-failed.ts';
import type { AppContext } from '../../../src/context.ts';
import { createImageFetcher } from '../../../src/images/fetch.ts';
import { claimSourcesForProcessing, markSourceFailed, markSourcesDone } from '../../../src/images/image-rows.ts';
import { processImages } from '../../../src/images/process-image.ts';
import { type FixtureCdn, startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import { runLocalWorker } from '../../../src/local/local-worker.ts';
import { renderSampleImage } from '../../../src/local/sample-images.ts';
import { enqueuePendingImages } from '../../../src/queue/enqueue.ts';
import { importFile } from '../../helpers/catalog.ts';
import { itOnServer, startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { buildCsv } from '../../helpers/spreadsheets.ts';

let env: TestEnvironment;
let ctx: AppContext;
let cdn: FixtureCdn;

beforeAll(async () => {
  cdn = await startFixtureCdn();
  env = await startTestEnvironment({ FETCH_ALLOW_HOSTS: '127.0.0.1', IMAGE_MAX_DIMENSION: '256', DATABASE_LOCK_TIMEOUT_MS: '1000' });
  ctx = env.ctx;
  for (const [i, name] of ['1', '2', '3', '4', 'shared', 'a-only', 'twin-a', 'twin-b', 'fresh', 'aba', 'locked'].entries()) {
    const body = await renderSampleImage({ label: name.startsWith('twin') ? 'T' : name, width: 200, height: 150, format: 'png', hue: i * 37 });
    cdn.set(`/${name}.png`, { body, contentType: 'image/png' });
  }
  // Two URLs, the same bytes.
  cdn.set('/twin-b.png', { body: await renderSampleImage({ label: 'T', width: 200, height: 150, format: 'png', hue: 6 * 37 }), contentType: 'image/png' });
});
afterAll(async () => {
  await env?.stop();
  await cdn?.close();
});

async function importCsv(supplier: string, rows: string[][]) {
  const padded = rows.map((row) => [...row, ...Array<string>(4 - row.length).fill('')]);
  return importFile(ctx, supplier, 'catalog.csv', buildCsv([['SKU', 'Image 1', 'Image 2', 'Image 3'], ...padded]));
}

async function imageUrls(supplier: string, sku: string): Promise<string[]> {
  const { rows } = await ctx.pool.query<{ image_urls: string[] }>(
    `SELECT p.image_urls FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = $1 AND p.sku = $2`,
    [supplier, sku],
  );
  return rows[0]!.image_urls;
}

async function source(url: string) {
  const { rows } = await ctx.pool.query(`SELECT * FROM image_sources WHERE source_url = $1`, [url]);
  return rows[0];
}

async function mediaObjects(): Promise<number> {
  const listed = await ctx.s3.send(new ListObjectsV2Command({ Bucket: ctx.config.buckets.media }));
  return listed.KeyCount ?? 0;
}

const work = () => runLocalWorker(ctx, { untilIdle: true });

describe('image sources: one download per distinct URL, galleries as links', () => {
  itOnServer('a URL shared by two suppliers is downloaded once under two concurrent workers, and both products get it', async () => {
    await importCsv('north', [['N-1', cdn.url('/shared.png'), cdn.url('/a-only.png')]]);
    await importCsv('south', [['S-1', cdn.url('/shared.png')]]);

    const sent = await enqueuePendingImages(ctx);
    expect(sent.enqueued).toBe(2); // two distinct URLs, three links
    await Promise.all([work(), work()]);

    expect(cdn.hits('/shared.png')).toBe(1);
    const shared = await source(cdn.url('/shared.png'));
    expect(shared).toMatchObject({ status: 'done', attempts: 1 });
    expect(await imageUrls('north', 'N-1')).toEqual([shared.url, (await source(cdn.url('/a-only.png'))).url]);
    expect(await imageUrls('south', 'S-1')).toEqual([shared.url]);
  });

  it('a reorder or a removal changes image_urls in the import itself, with no download', async () => {
    await importCsv('reorder', [['R-1', cdn.url('/1.png'), cdn.url('/2.png'), cdn.url('/3.png')]]);
    await enqueuePendingImages(ctx);
    await work();
    const [one, three] = [await source(cdn.url('/1.png')), await source(cdn.url('/3.png'))];
    const hitsBefore = ['/1.png', '/2.png', '/3.png'].map((p) => cdn.hits(p));

    // The supplier drops the 2nd picture and moves the 3rd to the front.
    const summary = await importCsv('reorder', [['R-1', cdn.url('/3.png'), cdn.url('/1.png')]]);

    expect(summary).toMatchObject({ status: 'done', imagesPending: 0 });
    expect(await imageUrls('reorder', 'R-1')).toEqual([three.url, one.url]);
    expect((await enqueuePendingImages(ctx)).enqueued).toBe(0);
    expect(['/1.png', '/2.png', '/3.png'].map((p) => cdn.hits(p))).toEqual(hitsBefore);
  });

  it('a changed URL links a new source; the product keeps its other pictures meanwhile', async () => {
    await importCsv('change', [['C-1', cdn.url('/1.png'), cdn.url('/2.png')]]);
    await enqueuePendingImages(ctx);
    await work();
    const one = await source(cdn.url('/1.png'));

    const summary = await importCsv('change', [['C-1', cdn.url('/1.png'), cdn.url('/4.png')]]);

    expect(summary).toMatchObject({ imagesPending: 1 });
    expect(await imageUrls('change', 'C-1')).toEqual([one.url]);
    expect((await enqueuePendingImages(ctx)).enqueued).toBe(1);
    await work();
    expect(await imageUrls('change', 'C-1')).toEqual([one.url, (await source(cdn.url('/4.png'))).url]);
  });

  it('two URLs with the same bytes put one WebP URL on the product, once', async () => {
    await importCsv('twins', [['T-1', cdn.url('/twin-a.png'), cdn.url('/twin-b.png'), cdn.url('/3.png')]]);
    await enqueuePendingImages(ctx);
    await work();
    const [a, b, three] = [await source(cdn.url('/twin-a.png')), await source(cdn.url('/twin-b.png')), await source(cdn.url('/3.png'))];
    expect(a.url).toBe(b.url);
    expect(await imageUrls('twins', 'T-1')).toEqual([a.url, three.url]);
  });
});

describe('revalidation with conditional GETs', () => {
  it('a 304 costs no conversion; a changed picture gets a new WebP on every product that links it', async () => {
    await importCsv('reval-a', [['RA-1', cdn.url('/fresh.png')]]);
    await importCsv('reval-b', [['RB-1', cdn.url('/fresh.png')]]);
    await enqueuePendingImages(ctx);
    await work();
    const before = await source(cdn.url('/fresh.png'));
    expect(before.source_etag).toMatch(/^"[0-9a-f]{40}"$/);
    const objects = await mediaObjects();
    const age = () => ctx.pool.query(`UPDATE image_sources SET checked_at = now() - interval '60 days' WHERE id = $1`, [before.id]);

    await age();
    const recheck = await enqueuePendingImages(ctx);
    expect(recheck).toMatchObject({ enqueued: 1, revalidating: 1 });
    // The product keeps its picture while the source is re-checked.
    expect(await imageUrls('reval-a', 'RA-1')).toEqual([before.url]);
    await work();
    const unchanged = await source(cdn.url('/fresh.png'));
    expect(unchanged).toMatchObject({ status: 'done', url: before.url, s3_key: before.s3_key });
    expect(unchanged.checked_at.getTime()).toBeGreaterThan(before.checked_at.getTime());
    expect(await mediaObjects()).toBe(objects);
    expect(cdn.hits('/fresh.png')).toBe(2);

    cdn.set('/fresh.png', { body: await renderSampleImage({ label: 'NEW', width: 220, height: 160, format: 'png', hue: 300 }), contentType: 'image/png' });
    await age();
    expect((await enqueuePendingImages(ctx)).revalidating).toBe(1);
    await work();
    const changed = await source(cdn.url('/fresh.png'));
    expect(changed.status).toBe('done');
    expect(changed.url).not.toBe(before.url);
    expect(changed.width).toBe(220);
    expect(await imageUrls('reval-a', 'RA-1')).toEqual([changed.url]);
    expect(await imageUrls('reval-b', 'RB-1')).toEqual([changed.url]);
  });

  it('requeue --revalidate sends done sources again at once, and they come back unchanged', async () => {
    await importCsv('reval-c', [['RC-1', cdn.url('/2.png')]]);
    await enqueuePendingImages(ctx);
    await work();
    const before = await source(cdn.url('/2.png'));
    const result = await requeueFailedImages(ctx, { supplier: 'reval-c', revalidate: true });
    expect(result.requeued).toBe(1);
    expect(await imageUrls('reval-c', 'RC-1')).toEqual([before.url]);
    expect((await enqueuePendingImages(ctx)).enqueued).toBe(1);
    await work();
    expect(await source(cdn.url('/2.png'))).toMatchObject({ status: 'done', url: before.url });
  });
});

describe('fencing and locks', () => {
  it('the fencing token only grows: a stale worker cannot write over a source requeued and claimed again (ABA)', async () => {
    await importCsv('aba', [['A-1', cdn.url('/aba.png')]]);
    const row = await source(cdn.url('/aba.png'));
    const [id, url] = [Number(row.id), row.source_url as string];
    const claim = async () => (await claimSourcesForProcessing(ctx.pool, [{ sourceId: id, sourceUrl: url }], 60))[0];
    const stale = await claim();
    expect(stale).toMatchObject({ claimed: true, attempts: 1 });
    await ctx.pool.query(`UPDATE image_sources SET lease_until = now() - interval '1 second' WHERE id = $1`, [id]);
    const second = await claim();
    expect(second).toMatchObject({ claimed: true, attempts: 2 });
    await markSourceFailed(ctx.pool, { sourceId: id, sourceUrl: url, attempt: 2 }, 'http_4xx', 'gone');
    await requeueFailedImages(ctx, { supplier: 'aba' });
    expect(await source(url)).toMatchObject({ status: 'pending', attempts: 2 });
    const third = await claim();
    expect(third).toMatchObject({ claimed: true, attempts: 3 });

    const stalePicture = {
      s3Key: 'stale',
      url: 'https://media.test/stale.webp',
      width: 1,
      height: 1,
      bytes: 1,
      contentHash: 'x',
      etag: undefined,
      lastModified: undefined,
      variants: [{ key: 'stale', url: 'https://media.test/stale.webp', width: 1, height: 1, bytes: 1 }],
      placeholder: 'AAAA',
    };
    const written = await markSourcesDone(ctx.db, [{ claim: { sourceId: id, sourceUrl: url, attempt: 1 }, result: stalePicture }]);
    expect(written).toEqual(new Set());
    expect(await source(url)).toMatchObject({ status: 'processing', attempts: 3, url: null });
    expect(await imageUrls('aba', 'A-1')).toEqual([]);
  });

  itOnServer('a worker blocked by an import holding the product gives up after the lock timeout and retries, then finishes', async () => {
    await importCsv('locked', [['L-1', cdn.url('/locked.png')]]);
    const row = await source(cdn.url('/locked.png'));
    const [id, url] = [Number(row.id), row.source_url as string];
    const importer = new pg.Client({ connectionString: ctx.config.databaseUrl });
    await importer.connect();
    const fetcher = createImageFetcher(ctx.config.fetch);
    try {
      await importer.query('BEGIN');
      await importer.query(`SELECT p.id FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = 'locked' FOR UPDATE`);

      // A batch with the locked product's image: the done-write waits for the lock, then gives up.
      const [blocked] = await processImages(ctx, fetcher, [{ message: { sourceId: id, sourceUrl: url, attempt: 0 }, receiveCount: 1 }]);

      expect(blocked).toMatchObject({ result: 'retry', kind: 'database' });
      expect(blocked?.result === 'retry' && blocked.message).toMatch(/lock/);
      expect(await source(url)).toMatchObject({ status: 'queued', error_kind: 'database' });
      await importer.query('COMMIT');

      const [retried] = await processImages(ctx, fetcher, [{ message: { sourceId: id, sourceUrl: url, attempt: 1 }, receiveCount: 2 }]);
      expect(retried).toMatchObject({ result: 'done' });
      expect(await imageUrls('locked', 'L-1')).toEqual([(await source(url)).url]);
    } finally {
      await importer.end();
      await fetcher.close();
    }
  });
});
