import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { thumbHashToApproximateAspectRatio } from 'thumbhash';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectOrphanMedia } from '../../../src/admin/collect-orphan-media.ts';
import { listProducts } from '../../../src/admin/list-products.ts';
import type { AppContext } from '../../../src/context.ts';
import type { StoredRendition } from '../../../src/db/schema.ts';
import { createImageFetcher } from '../../../src/images/fetch.ts';
import { processImages } from '../../../src/images/process-image.ts';
import { type FixtureCdn, startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import { runLocalWorker } from '../../../src/local/local-worker.ts';
import { renderSampleImage } from '../../../src/local/sample-images.ts';
import { enqueuePendingImages } from '../../../src/queue/enqueue.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { imageRow, productImageUrls, seedProduct } from '../../helpers/seed.ts';

describe('responsive images: every WebP size of a source, its placeholder, and their garbage collection', () => {
  let env: TestEnvironment;
  let ctx: AppContext;
  let cdn: FixtureCdn;

  const mediaKeys = async () =>
    ((await ctx.s3.send(new ListObjectsV2Command({ Bucket: ctx.config.buckets.media }))).Contents ?? []).map((o) => o.Key!).sort();
  const variantsOf = async (sourceId: number) => (await imageRow(ctx, sourceId)).variants as StoredRendition[];
  const photo = (label: string, width: number, height: number, hue: number) => renderSampleImage({ label, width, height, format: 'jpeg', hue });

  beforeAll(async () => {
    cdn = await startFixtureCdn();
    env = await startTestEnvironment({ FETCH_ALLOW_HOSTS: '127.0.0.1', IMAGE_MAX_DIMENSION: '1600', IMAGE_WIDTHS: '320,640,1024' });
    ctx = env.ctx;
  });
  afterAll(async () => {
    await env?.stop();
    await cdn?.close();
  });

  it('stores each configured width below the image and the full image, widths ascending, under distinct content keys, with a placeholder', async () => {
    cdn.set('/wide.jpg', { body: await photo('wide', 2400, 1200, 20) });
    cdn.set('/small.jpg', { body: await photo('small', 500, 400, 90) });
    const { productId, imageIds } = await seedProduct(ctx, 'sizes', 'S-1', [cdn.url('/wide.jpg'), cdn.url('/small.jpg')]);
    await enqueuePendingImages(ctx);
    await runLocalWorker(ctx, { untilIdle: true });

    const wide = await imageRow(ctx, imageIds[0]!);
    const variants = wide.variants as StoredRendition[];
    expect(variants.map((v) => [v.width, v.height])).toEqual([
      [320, 160],
      [640, 320],
      [1024, 512],
      [1600, 800],
    ]);
    expect(new Set(variants.map((v) => v.key)).size).toBe(4);
    expect(variants.at(-1)).toMatchObject({ key: wide.s3_key, url: wide.url, width: wide.width, height: wide.height, bytes: wide.bytes });
    for (const variant of variants) {
      expect(variant.key.slice(ctx.config.mediaPrefix.length)).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{64}\.webp$/);
      expect(variant.url).toBe(`${ctx.config.publicMediaBaseUrl}/${variant.key}`);
      const object = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.config.buckets.media, Key: variant.key }));
      const bytes = Buffer.from(await object.Body!.transformToByteArray());
      expect(bytes.length).toBe(variant.bytes);
      expect(await sharp(bytes).metadata()).toMatchObject({ format: 'webp', width: variant.width, height: variant.height });
    }
    expect(thumbHashToApproximateAspectRatio(Buffer.from(wide.placeholder as string, 'base64'))).toBeCloseTo(2, 0);

    // 500 px wide: 320 is made, 640 and 1024 would enlarge it and are not.
    expect((await variantsOf(imageIds[1]!)).map((v) => v.width)).toEqual([320, 500]);
    // image_urls stays one full-size WebP per image.
    expect(await productImageUrls(ctx, productId)).toEqual([wide.url, (await imageRow(ctx, imageIds[1]!)).url]);
    expect(await mediaKeys()).toHaveLength(6);

    // What a storefront reads: the full WebP, its placeholder and every size, widths ascending.
    const [listed] = (await listProducts(ctx, { supplier: 'sizes' })).products;
    expect(listed!.gallery[0]).toMatchObject({
      url: wide.url,
      width: 1600,
      height: 800,
      placeholder: wide.placeholder,
      variants: variants.map((v) => ({ url: v.url, width: v.width })),
    });
    expect(listed!.gallery[1]!.variants.map((v) => v.width)).toEqual([320, 500]);
    // A source converted before sizes existed lists its full WebP alone.
    const small = await imageRow(ctx, imageIds[1]!);
    await ctx.pool.query(`UPDATE image_sources SET variants = NULL, placeholder = NULL WHERE id = $1`, [imageIds[1]]);
    const [legacy] = (await listProducts(ctx, { supplier: 'sizes' })).products;
    expect(legacy!.gallery[1]).toMatchObject({ placeholder: null, variants: [{ url: small.url, width: 500 }] });
    await ctx.pool.query(`UPDATE image_sources SET variants = $2::jsonb, placeholder = $3 WHERE id = $1`, [imageIds[1], JSON.stringify(small.variants), small.placeholder]);
  });

  it('writes the same sizes again, no more, when a worker dies after uploading and the message comes back', async () => {
    cdn.set('/redelivered.jpg', { body: await photo('redelivered', 1300, 900, 150) });
    const { imageIds } = await seedProduct(ctx, 'sizes', 'S-2', [cdn.url('/redelivered.jpg')]);
    const message = { sourceId: imageIds[0]!, sourceUrl: cdn.url('/redelivered.jpg'), attempt: 1 };
    const fetcher = createImageFetcher(ctx.config.fetch);
    try {
      // A duplicate delivery in the same batch does the work once.
      const first = await processImages(ctx, fetcher, [{ message, receiveCount: 1 }, { message, receiveCount: 1 }]);
      expect(first.map((o) => o?.result)).toEqual(['done', 'skipped']);
      const before = await variantsOf(imageIds[0]!);
      const keysBefore = await mediaKeys();
      // The state a worker leaves when it dies between the uploads and the commit: objects written,
      // the row still processing, its lease run out. The message comes back and another worker does it all again.
      await ctx.pool.query(
        `UPDATE image_sources
            SET status = 'processing', lease_until = now() - interval '1 second', s3_key = NULL, url = NULL, variants = NULL, placeholder = NULL
          WHERE id = $1`,
        [imageIds[0]],
      );
      const again = await processImages(ctx, fetcher, [{ message, receiveCount: 2 }]);
      expect(again.map((o) => o?.result)).toEqual(['done']);
      expect(await variantsOf(imageIds[0]!)).toEqual(before);
      expect((await imageRow(ctx, imageIds[0]!)).placeholder).toEqual(expect.any(String));
      expect(before.map((v) => v.width)).toEqual([320, 640, 1024, 1300]);
      expect(await mediaKeys()).toEqual(keysBefore);
    } finally {
      await fetcher.close();
    }
  });

  it('media-gc deletes every size of a picture no source refers to any more, and keeps the sizes sources list', async () => {
    cdn.set('/replaced.jpg', { body: await photo('replaced', 1200, 800, 200) });
    const { imageIds } = await seedProduct(ctx, 'gc', 'G-1', [cdn.url('/replaced.jpg')]);
    await enqueuePendingImages(ctx);
    await runLocalWorker(ctx, { untilIdle: true });
    const old = await variantsOf(imageIds[0]!);
    expect(old.map((v) => v.width)).toEqual([320, 640, 1024, 1200]);

    // The supplier put another picture behind the URL: a re-check gets new bytes, new keys for every size.
    cdn.set('/replaced.jpg', { body: await photo('replaced v2', 1200, 800, 280) });
    await ctx.pool.query(`UPDATE image_sources SET checked_at = now() - interval '31 days' WHERE id = $1`, [imageIds[0]]);
    expect(await enqueuePendingImages(ctx)).toMatchObject({ enqueued: 1, revalidating: 1 });
    await runLocalWorker(ctx, { untilIdle: true });
    const current = await variantsOf(imageIds[0]!);
    expect(current.map((v) => v.key).filter((key) => old.some((o) => o.key === key))).toEqual([]);

    const keysBefore = await mediaKeys();
    const collected = await collectOrphanMedia(ctx, { graceSeconds: 0 });
    expect(collected).toMatchObject({ orphans: 4, deleted: 4 });
    const left = await mediaKeys();
    expect(left).toEqual(keysBefore.filter((key) => !old.some((o) => o.key === key)));
    for (const variant of current) expect(left).toContain(variant.key);
    // Nothing else is an orphan: every size of every other source is still listed.
    expect(await collectOrphanMedia(ctx, { graceSeconds: 0, dryRun: true })).toMatchObject({ orphans: 0 });
  });
});
