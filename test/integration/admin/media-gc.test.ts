import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectOrphanMedia } from '../../../src/admin/collect-orphan-media.ts';
import type { AppContext } from '../../../src/context.ts';
import { type FixtureCdn, startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import { runLocalWorker } from '../../../src/local/local-worker.ts';
import { renderSampleImage } from '../../../src/local/sample-images.ts';
import { enqueuePendingImages } from '../../../src/queue/enqueue.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { imageRow, seedProduct } from '../../helpers/seed.ts';

describe('media-gc: WebP objects no image refers to any more', () => {
  let env: TestEnvironment;
  let ctx: AppContext;
  let cdn: FixtureCdn;

  const mediaKeys = async () =>
    ((await ctx.s3.send(new ListObjectsV2Command({ Bucket: ctx.config.buckets.media }))).Contents ?? []).map((o) => o.Key!).sort();

  beforeAll(async () => {
    cdn = await startFixtureCdn();
    env = await startTestEnvironment({ FETCH_ALLOW_HOSTS: '127.0.0.1' });
    ctx = env.ctx;
    for (const name of ['a', 'b', 'shared']) {
      cdn.set(`/${name}.jpg`, { body: await renderSampleImage({ label: name, width: 300, height: 200, format: 'jpeg', hue: name.length * 60 }) });
    }
  });
  afterAll(async () => {
    await env?.stop();
    await cdn?.close();
  });

  it('keeps referenced and fresh objects, and deletes an orphan only when not a dry run', async () => {
    const one = await seedProduct(ctx, 'gc', 'G-1', [cdn.url('/a.jpg'), cdn.url('/shared.jpg')]);
    const two = await seedProduct(ctx, 'gc', 'G-2', [cdn.url('/b.jpg'), cdn.url('/shared.jpg')]);
    await enqueuePendingImages(ctx);
    await runLocalWorker(ctx, { untilIdle: true });
    expect(await mediaKeys()).toHaveLength(3);
    const orphanKey = (await imageRow(ctx, one.imageIds[0]!)).s3_key;
    const sharedKey = (await imageRow(ctx, one.imageIds[1]!)).s3_key;
    // The supplier put another picture behind a.jpg. Its re-check is due (checked_at past
    // IMAGE_REVALIDATE_AFTER): the conditional GET gets the new bytes, and the source moves to a new
    // content key. No source refers to the old object any more.
    cdn.set('/a.jpg', { body: await renderSampleImage({ label: 'a v2', width: 300, height: 200, format: 'jpeg', hue: 200 }) });
    await ctx.pool.query(`UPDATE image_sources SET checked_at = now() - interval '31 days' WHERE id = $1`, [one.imageIds[0]]);
    expect(await enqueuePendingImages(ctx)).toMatchObject({ enqueued: 1, revalidating: 1 });
    await runLocalWorker(ctx, { untilIdle: true });
    const replacedKey = (await imageRow(ctx, one.imageIds[0]!)).s3_key;
    expect(replacedKey).not.toBe(orphanKey);
    expect(await mediaKeys()).toHaveLength(4);
    // G-2 no longer lists the shared picture, but G-1 still does: it must stay.
    await ctx.pool.query(`DELETE FROM product_images WHERE product_id = $1 AND source_id = $2`, [two.productId, two.imageIds[1]]);

    expect(await collectOrphanMedia(ctx)).toMatchObject({ scanned: 4, orphans: 0, deleted: 0 }); // too fresh yet
    expect(await collectOrphanMedia(ctx, { graceSeconds: 0, dryRun: true })).toMatchObject({ orphans: 1, deleted: 0, examples: [orphanKey] });
    expect(await mediaKeys()).toHaveLength(4);
    expect(await collectOrphanMedia(ctx, { graceSeconds: 0 })).toMatchObject({ orphans: 1, deleted: 1 });
    const left = await mediaKeys();
    expect(left).toHaveLength(3);
    expect(left).not.toContain(orphanKey);
    expect(left).toContain(sharedKey);
    expect(left).toContain(replacedKey);
  });
});

describe('media-gc: image sources no product links any more', () => {
  let env: TestEnvironment;
  let ctx: AppContext;
  let cdn: FixtureCdn;

  beforeAll(async () => {
    cdn = await startFixtureCdn();
    env = await startTestEnvironment({ FETCH_ALLOW_HOSTS: '127.0.0.1' });
    ctx = env.ctx;
    for (const name of ['old', 'new', 'kept', 'relinked']) {
      cdn.set(`/${name}.jpg`, { body: await renderSampleImage({ label: name, width: 200, height: 150, format: 'jpeg', hue: name.length * 70 }) });
    }
  });
  afterAll(async () => {
    await env?.stop();
    await cdn?.close();
  });

  const sourceOf = async (path: string) =>
    (await ctx.pool.query(`SELECT id, s3_key FROM image_sources WHERE source_url = $1`, [cdn.url(path)])).rows[0];

  it('deletes a source whose URL the supplier replaced, and its object; skips one an import is linking right now', async () => {
    const product = await seedProduct(ctx, 'prune', 'P-1', [cdn.url('/old.jpg'), cdn.url('/kept.jpg')]);
    await seedProduct(ctx, 'prune', 'P-2', [cdn.url('/relinked.jpg')]);
    await enqueuePendingImages(ctx);
    await runLocalWorker(ctx, { untilIdle: true });
    const old = await sourceOf('/old.jpg');
    const relinked = await sourceOf('/relinked.jpg');
    // The supplier replaced old.jpg; P-2 dropped relinked.jpg, but an import is linking it again (uncommitted).
    await ctx.pool.query(`DELETE FROM product_images WHERE source_id IN ($1, $2)`, [old.id, relinked.id]);
    const importing = await ctx.pool.connect();
    try {
      await importing.query('BEGIN');
      await importing.query(`INSERT INTO product_images (product_id, position, source_id) VALUES ($1, 3, $2)`, [product.productId, relinked.id]);

      expect(await collectOrphanMedia(ctx, { graceSeconds: 0, dryRun: true })).toMatchObject({ unlinkedSources: 2, deleted: 0 });
      const swept = await collectOrphanMedia(ctx, { graceSeconds: 0 });

      expect(swept).toMatchObject({ unlinkedSources: 1, orphans: 1, deleted: 1, examples: [old.s3_key] });
      await importing.query('COMMIT');
    } finally {
      importing.release();
    }
    expect(await sourceOf('/old.jpg')).toBeUndefined();
    expect(await sourceOf('/relinked.jpg')).toMatchObject({ s3_key: relinked.s3_key });
    expect((await sourceOf('/kept.jpg')).s3_key).toBeTruthy();
    const keys = ((await ctx.s3.send(new ListObjectsV2Command({ Bucket: ctx.config.buckets.media }))).Contents ?? []).map((o) => o.Key);
    expect(keys).not.toContain(old.s3_key);
    expect(keys).toContain(relinked.s3_key);
  });

  it('a pruned URL that comes back in a later file is a new pending source', async () => {
    await seedProduct(ctx, 'prune', 'P-3', [cdn.url('/old.jpg')]);
    const again = await sourceOf('/old.jpg');
    expect(again).toMatchObject({ s3_key: null });
    expect((await enqueuePendingImages(ctx)).enqueued).toBe(1);
  });
});
