import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listProducts } from '../../src/admin/list-products.ts';
import { registerUpload } from '../../src/catalog/index.ts';
import type { AppContext } from '../../src/context.ts';
import { type FixtureCdn, startFixtureCdn } from '../../src/local/fixture-cdn.ts';
import { runLocalWorker } from '../../src/local/local-worker.ts';
import { renderSampleImage } from '../../src/local/sample-images.ts';
import { runTick } from '../../src/scheduled/run-tick.ts';
import { startTestEnvironment, type TestEnvironment } from '../helpers/environment.ts';
import { assertPipelineInvariants } from '../helpers/invariants.ts';
import { buildCsv, buildXlsx } from '../helpers/spreadsheets.ts';

async function mediaObjectCount(ctx: AppContext): Promise<number> {
  const listed = await ctx.s3.send(new ListObjectsV2Command({ Bucket: ctx.config.buckets.media }));
  return listed.KeyCount ?? 0;
}

/** Image sources (one per distinct URL, the downloads) by status. */
async function imageStatuses(ctx: AppContext): Promise<Record<string, number>> {
  const { rows } = await ctx.pool.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM image_sources GROUP BY status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Products' links (gallery positions) by the status of the source they link. */
async function linkStatuses(ctx: AppContext): Promise<Record<string, number>> {
  const { rows } = await ctx.pool.query<{ status: string; n: number }>(
    `SELECT s.status, count(*)::int AS n FROM product_images pi JOIN image_sources s ON s.id = pi.source_id GROUP BY s.status`,
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** The story of issue #3: supplier files in, WebP URLs on products out, and nothing doubled on a re-run. */
describe('pipeline: spreadsheet → tick → worker → WebP in S3 → URLs on products', () => {
  let env: TestEnvironment;
  let ctx: AppContext;
  let cdn: FixtureCdn;
  let xlsx: Buffer;
  let csv: Buffer;

  beforeAll(async () => {
    cdn = await startFixtureCdn();
    env = await startTestEnvironment({ FETCH_ALLOW_HOSTS: '127.0.0.1', IMAGE_MAX_DIMENSION: '800' });
    ctx = env.ctx;
    const formats = ['jpeg', 'png', 'gif', 'webp'] as const;
    for (let n = 1; n <= 6; n++) {
      for (let p = 1; p <= 3; p++) {
        const format = formats[(n + p) % formats.length]!;
        const body = await renderSampleImage({ label: `P${n}-${p}`, width: 1000 + 100 * p, height: 700, format, hue: n * 50 + p });
        cdn.set(`/north/${n}/${p}`, { body, contentType: `image/${format}` });
        cdn.set(`/south/${n}/${p}`, { body, contentType: `image/${format}` });
      }
    }
    xlsx = await buildXlsx([
      ['Item Number', 'Product Name', 'Colour', 'Main Image', 'Image 2', 'Image 3'],
      ...[1, 2, 3].map((n) => [`N-${n}`, `North ${n}`, 'red', cdn.url(`/north/${n}/1`), cdn.url(`/north/${n}/2`), cdn.url(`/north/${n}/3`)]),
      ['N-4', 'North 4 (dead image)', 'blue', cdn.url('/north/missing.jpg'), cdn.url('/north/4/2'), ''],
      ['', 'No SKU', 'green', cdn.url('/north/5/1'), '', ''],
    ]);
    csv = Buffer.from(
      buildCsv(
        [
          ['SKU', 'Title', 'Images'],
          ...[1, 2, 3].map((n) => [`S-${n}`, `South ${n}`, [1, 2, 3].map((p) => cdn.url(`/south/${n}/${p}`)).join(' | ')]),
        ],
        { delimiter: ';', bom: true },
      ),
    );
  });
  afterAll(async () => {
    await env?.stop();
    await cdn?.close();
  });

  it('imports an xlsx and a csv supplier file, converts every live image and lists the URLs in order', async () => {
    await registerUpload(ctx, { supplierCode: 'north', fileName: 'north.xlsx', body: xlsx });
    await registerUpload(ctx, { supplierCode: 'south', fileName: 'south.csv', body: csv });
    const tick = await runTick(ctx, 'cli');
    expect(tick.imports.map((i) => i.status)).toEqual(['done', 'done']);
    expect(tick.enqueued).toBe(9 + 2 + 9);
    await runLocalWorker(ctx, { untilIdle: true });

    expect(await imageStatuses(ctx)).toEqual({ done: 19, failed: 1 });
    expect(await linkStatuses(ctx)).toEqual({ done: 19, failed: 1 });
    const { products, truncated } = await listProducts(ctx);
    expect(truncated).toBe(false);
    expect(products.map((p) => p.sku)).toEqual(['N-1', 'N-2', 'N-3', 'N-4', 'S-1', 'S-2', 'S-3']);
    const { rows } = await ctx.pool.query<{ sku: string; position: number; url: string; width: number }>(
      `SELECT p.sku, pi.position, s.url, s.width
         FROM product_images pi JOIN products p ON p.id = pi.product_id JOIN image_sources s ON s.id = pi.source_id
        WHERE s.status = 'done' ORDER BY p.sku, pi.position`,
    );
    for (const product of products) {
      expect(product.imageUrls).toEqual(rows.filter((r) => r.sku === product.sku).map((r) => r.url));
    }
    expect(products.find((p) => p.sku === 'N-4')?.imageUrls).toHaveLength(1);
    expect(Math.max(...rows.map((r) => r.width))).toBe(800);
    // The same picture offered by two suppliers is stored once: 10 distinct pictures, each with its
    // sizes (one object per size, content addressed).
    const { rows: stored } = await ctx.pool.query<{ pictures: number; objects: number }>(
      `SELECT count(DISTINCT s3_key)::int AS pictures, count(DISTINCT v->>'key')::int AS objects
         FROM image_sources, jsonb_array_elements(variants) v WHERE status = 'done'`,
    );
    expect(stored[0]!.pictures).toBe(10);
    expect(stored[0]!.objects).toBeGreaterThan(10);
    expect(await mediaObjectCount(ctx)).toBe(stored[0]!.objects);
    const first = await fetch(products[0]!.imageUrls[0]!);
    expect((await sharp(Buffer.from(await first.arrayBuffer())).metadata()).format).toBe('webp');
    await assertPipelineInvariants(ctx);
  });

  it('re-importing the same files and running again adds no object, no URL and no download', async () => {
    const before = { objects: await mediaObjectCount(ctx), products: await listProducts(ctx), hits: cdn.hits('/north/1/1') };
    await registerUpload(ctx, { supplierCode: 'north', fileName: 'north.xlsx', body: xlsx });
    await registerUpload(ctx, { supplierCode: 'south', fileName: 'south.csv', body: csv });
    const tick = await runTick(ctx, 'cli');
    expect(tick.imports).toHaveLength(2);
    expect(tick.enqueued).toBe(0);
    await runLocalWorker(ctx, { untilIdle: true });
    expect(await mediaObjectCount(ctx)).toBe(before.objects);
    expect(await listProducts(ctx)).toEqual(before.products);
    expect(cdn.hits('/north/1/1')).toBe(before.hits);
  });

  it('a changed image URL links a new source, fetched once; the old sources stay done and nothing else is fetched', async () => {
    const changed = await buildXlsx([
      ['Item Number', 'Product Name', 'Main Image'],
      ['N-1', 'North 1', cdn.url('/south/6/1')],
    ]);
    const paths = [...[1, 2, 3, 4, 5, 6].flatMap((n) => [1, 2, 3].map((p) => [`/north/${n}/${p}`, `/south/${n}/${p}`])).flat(), '/north/missing.jpg'];
    const hitsBefore = new Map(paths.map((path) => [path, cdn.hits(path)]));
    await registerUpload(ctx, { supplierCode: 'north', fileName: 'north-update.xlsx', body: changed });
    const tick = await runTick(ctx, 'cli');
    expect(tick.enqueued).toBe(1);
    await runLocalWorker(ctx, { untilIdle: true });
    const { products: [n1] } = await listProducts(ctx, { supplier: 'north', limit: 1 });
    expect(n1?.sku).toBe('N-1');
    expect(n1?.imageUrls).toHaveLength(1); // positions 2 and 3 left the file
    // N-1's three old sources are no longer linked but stay done (one more source, the new URL);
    // the links lose N-1's positions 2 and 3 and point position 1 at the new source.
    expect(await imageStatuses(ctx)).toEqual({ done: 20, failed: 1 });
    expect(await linkStatuses(ctx)).toEqual({ done: 17, failed: 1 });
    expect(paths.filter((path) => cdn.hits(path) !== hitsBefore.get(path)!)).toEqual(['/south/6/1']);
    expect(cdn.hits('/south/6/1')).toBe(hitsBefore.get('/south/6/1')! + 1);
    await assertPipelineInvariants(ctx);
  });
});
