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
    // The supplier changed G-1's first URL, as a re-import does it: back to pending, results cleared.
    await ctx.pool.query(`UPDATE product_images SET source_url = $2, status = 'pending', s3_key = NULL, url = NULL WHERE id = $1`, [
      one.imageIds[0],
      cdn.url('/new.jpg'),
    ]);
    // G-2 no longer lists the shared picture, but G-1 still does: it must stay.
    await ctx.pool.query(`DELETE FROM product_images WHERE id = $1`, [two.imageIds[1]]);

    expect(await collectOrphanMedia(ctx)).toMatchObject({ scanned: 3, orphans: 0, deleted: 0 }); // too fresh yet
    expect(await collectOrphanMedia(ctx, { graceSeconds: 0, dryRun: true })).toMatchObject({ orphans: 1, deleted: 0, examples: [orphanKey] });
    expect(await mediaKeys()).toHaveLength(3);
    expect(await collectOrphanMedia(ctx, { graceSeconds: 0 })).toMatchObject({ orphans: 1, deleted: 1 });
    const left = await mediaKeys();
    expect(left).toHaveLength(2);
    expect(left).not.toContain(orphanKey);
    expect(left).toContain(sharedKey);
  });
});
