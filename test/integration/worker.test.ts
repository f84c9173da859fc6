import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueDepth } from '../../src/queue/queue-depth.ts';
import type { AppContext } from '../../src/context.ts';
import { type FixtureCdn, startFixtureCdn } from '../../src/local/fixture-cdn.ts';
import { createImageFetcher } from '../../src/images/fetch.ts';
import { handleImageBatch } from '../../src/images/handle-image-batch.ts';
import { runLocalWorker } from '../../src/local/local-worker.ts';
import { sqsRecordFromMessage } from '../../src/local/queue-poller.ts';
import { renderSampleImage } from '../../src/local/sample-images.ts';
import { enqueuePendingImages } from '../../src/queue/enqueue.ts';
import { encodeImageMessage } from '../../src/queue/messages.ts';
import { startTestEnvironment, type TestEnvironment } from '../helpers/environment.ts';
import { imageRow, productImageUrls, seedProduct } from '../helpers/seed.ts';

async function mediaKeys(ctx: AppContext): Promise<string[]> {
  const listed = await ctx.s3.send(new ListObjectsV2Command({ Bucket: ctx.config.buckets.media }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

describe('worker: queue → fetch → WebP in S3 → URLs on the product', () => {
  let env: TestEnvironment;
  let ctx: AppContext;
  let cdn: FixtureCdn;
  let samples: Record<'big' | 'small' | 'anim', Buffer>;
  // Sources are keyed by URL and downloaded once: a test that needs fresh downloads serves the
  // samples under paths of its own.
  const serve = (path: string, sample: keyof typeof samples) =>
    cdn.set(path, { body: samples[sample], contentType: { big: 'image/jpeg', small: 'image/png', anim: 'image/gif' }[sample] });

  beforeAll(async () => {
    cdn = await startFixtureCdn();
    env = await startTestEnvironment({
      FETCH_ALLOW_HOSTS: '127.0.0.1',
      MAX_RECEIVES: '2',
      IMAGE_MAX_DIMENSION: '512',
      // A duplicate delivery that finds the image busy comes back when this lease ends.
      PROCESSING_LEASE_SECONDS: '2',
    });
    ctx = env.ctx;
    samples = {
      big: await renderSampleImage({ label: 'BIG', width: 1600, height: 1200, format: 'jpeg', hue: 10 }),
      small: await renderSampleImage({ label: 'S', width: 300, height: 200, format: 'png', hue: 90 }),
      anim: await renderSampleImage({ label: 'G', width: 400, height: 400, format: 'gif', hue: 180 }),
    };
    serve('/big.jpg', 'big');
    serve('/small.png', 'small');
    serve('/anim.gif', 'anim');
  });
  afterAll(async () => {
    await env?.stop();
    await cdn?.close();
  });

  it('converts every image, stores real WebP under content keys and lists the URLs in position order', async () => {
    const { productId, imageIds } = await seedProduct(ctx, 'acme', 'A-1', [cdn.url('/big.jpg'), cdn.url('/small.png'), cdn.url('/anim.gif')]);
    const sent = await enqueuePendingImages(ctx);
    expect(sent.enqueued).toBe(3);
    await runLocalWorker(ctx, { untilIdle: true });

    const rows = await Promise.all(imageIds.map((id) => imageRow(ctx, id)));
    expect(rows.map((r) => r.status)).toEqual(['done', 'done', 'done']);
    expect(await productImageUrls(ctx, productId)).toEqual(rows.map((r) => r.url));
    const big = rows[0];
    expect([big.width, big.height]).toEqual([512, 384]); // capped longest side, aspect kept
    expect([rows[1].width, rows[1].height]).toEqual([300, 200]); // never enlarged
    for (const row of rows) {
      expect(row.s3_key).toMatch(/^images\/[0-9a-f]{2}\/[0-9a-f]{64}\.webp$/);
      expect(row.url).toBe(`${ctx.config.publicMediaBaseUrl}/${row.s3_key}`);
      const object = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.config.buckets.media, Key: row.s3_key }));
      expect(object.ContentType).toBe('image/webp');
      expect(object.CacheControl).toContain('immutable');
      const bytes = Buffer.from(await object.Body!.transformToByteArray());
      const meta = await sharp(bytes).metadata();
      expect(meta.format).toBe('webp');
      expect([meta.width, meta.height]).toEqual([row.width, row.height]);
      expect(row.bytes).toBe(bytes.length);
    }
  });

  it('a dead URL ends failed with its kind and a message naming the URL; the message is acknowledged', async () => {
    serve('/404-neighbour.png', 'small');
    const { productId, imageIds } = await seedProduct(ctx, 'acme', 'A-404', [cdn.url('/missing.jpg'), cdn.url('/404-neighbour.png')]);
    await enqueuePendingImages(ctx);
    await runLocalWorker(ctx, { untilIdle: true });
    const dead = await imageRow(ctx, imageIds[0]!);
    expect(dead.status).toBe('failed');
    expect(dead.error_kind).toBe('http_4xx');
    expect(dead.last_error).toContain(cdn.url('/missing.jpg'));
    expect(await productImageUrls(ctx, productId)).toEqual([(await imageRow(ctx, imageIds[1]!)).url]);
    expect(await queueDepth(ctx.sqs, ctx.dlqUrl!)).toMatchObject({ visible: 0 });
  });

  it('a URL two products share is one source, downloaded once, and lands on both products', async () => {
    serve('/shared.jpg', 'big');
    serve('/only-b.png', 'small');
    const a = await seedProduct(ctx, 'acme', 'A-SHARED', [cdn.url('/shared.jpg')]);
    const b = await seedProduct(ctx, 'other', 'B-SHARED', [cdn.url('/only-b.png'), cdn.url('/shared.jpg')]);
    expect(b.imageIds[1]).toBe(a.imageIds[0]);
    expect((await enqueuePendingImages(ctx)).enqueued).toBe(2);
    await runLocalWorker(ctx, { untilIdle: true });
    const shared = await imageRow(ctx, a.imageIds[0]!);
    expect(shared).toMatchObject({ status: 'done', attempts: 1 });
    expect(cdn.hits('/shared.jpg')).toBe(1);
    expect(await productImageUrls(ctx, a.productId)).toEqual([shared.url]);
    expect(await productImageUrls(ctx, b.productId)).toEqual([(await imageRow(ctx, b.imageIds[0]!)).url, shared.url]);
  });

  it('the same message delivered twice, even at once, leaves one object and one URL', async () => {
    cdn.set('/twice.jpg', { body: await renderSampleImage({ label: 'TWICE', width: 640, height: 480, format: 'jpeg', hue: 300 }), contentType: 'image/jpeg' });
    const { productId, imageIds } = await seedProduct(ctx, 'acme', 'A-2', [cdn.url('/twice.jpg')]);
    const imageId = imageIds[0]!;
    await ctx.pool.query(`UPDATE image_sources SET status = 'queued' WHERE id = $1`, [imageId]);
    const before = await mediaKeys(ctx);
    const body = encodeImageMessage({ sourceId: imageId, sourceUrl: cdn.url('/twice.jpg'), attempt: 0 });
    await Promise.all([1, 2, 3].map(() => ctx.sqs.send(new SendMessageCommand({ QueueUrl: ctx.queueUrl, MessageBody: body }))));
    await runLocalWorker(ctx, { untilIdle: true });
    const after = await mediaKeys(ctx);
    const row = await imageRow(ctx, imageId);
    expect(row.status).toBe('done');
    // One object per size (320 px and the full 512 px), whichever delivery wrote them.
    expect(row.variants.map((v: { width: number }) => v.width)).toEqual([320, 512]);
    expect(after.filter((k) => !before.includes(k)).sort()).toEqual(row.variants.map((v: { key: string }) => v.key).sort());
    expect(row.variants.at(-1).key).toBe(row.s3_key);
    expect(await productImageUrls(ctx, productId)).toEqual([row.url]);
    expect(cdn.hits('/twice.jpg')).toBeLessThanOrEqual(3);
    // Delivered again later: nothing downloaded, nothing written.
    const hits = cdn.hits('/twice.jpg');
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl: ctx.queueUrl, MessageBody: body }));
    await runLocalWorker(ctx, { untilIdle: true });
    expect(cdn.hits('/twice.jpg')).toBe(hits);
    expect(await mediaKeys(ctx)).toEqual(after);
  });

  it('a message whose sourceUrl does not match the source row is skipped as stale and downloads nothing', async () => {
    serve('/stale-old.png', 'small');
    serve('/stale-now.png', 'small');
    const { imageIds } = await seedProduct(ctx, 'acme', 'A-3', [cdn.url('/stale-now.png')]);
    const sourceId = imageIds[0]!;
    await ctx.pool.query(`UPDATE image_sources SET status = 'queued' WHERE id = $1`, [sourceId]);
    await ctx.sqs.send(
      new SendMessageCommand({ QueueUrl: ctx.queueUrl, MessageBody: encodeImageMessage({ sourceId, sourceUrl: cdn.url('/stale-old.png'), attempt: 0 }) }),
    );
    const lines: Array<Record<string, unknown>> = [];
    const record = (message: string, attributes: Record<string, unknown> = {}) => lines.push({ message, ...attributes });
    await runLocalWorker({ ...ctx, log: { debug: record, info: record, warn: record, error: record } }, { untilIdle: true });
    expect(await imageRow(ctx, sourceId)).toMatchObject({ status: 'queued', source_url: cdn.url('/stale-now.png'), attempts: 0 });
    expect(lines).toContainEqual(expect.objectContaining({ message: 'image', sourceId, result: 'skipped', reason: 'stale' }));
    expect([cdn.hits('/stale-old.png'), cdn.hits('/stale-now.png')]).toEqual([0, 0]);
    expect(await queueDepth(ctx.sqs, ctx.dlqUrl!)).toMatchObject({ visible: 0 });
  });

  it('transient failures are retried, then recorded as exhausted on the last allowed receive', async () => {
    cdn.setFault('/flaky.jpg', 'status500');
    const { imageIds } = await seedProduct(ctx, 'acme', 'A-500', [cdn.url('/flaky.jpg')]);
    await enqueuePendingImages(ctx);
    await runLocalWorker(ctx, { untilIdle: true });
    const row = await imageRow(ctx, imageIds[0]!);
    expect(row.status).toBe('failed');
    expect(row.error_kind).toBe('exhausted');
    expect(row.last_error).toContain('http_5xx');
    expect(row.attempts).toBe(2);
    expect(cdn.hits('/flaky.jpg')).toBe(2);
    expect(await queueDepth(ctx.sqs, ctx.dlqUrl!)).toMatchObject({ visible: 0 });
  });

  it('an invalid message body is retried until the redrive policy moves it to the DLQ', async () => {
    await ctx.sqs.send(new SendMessageCommand({ QueueUrl: ctx.queueUrl, MessageBody: '{"imageId":"nope"}' }));
    await runLocalWorker(ctx, { untilIdle: true });
    const dlq = await ctx.sqs.send(new ReceiveMessageCommand({ QueueUrl: ctx.dlqUrl!, MaxNumberOfMessages: 10 }));
    expect(dlq.Messages?.map((m) => m.Body)).toEqual(['{"imageId":"nope"}']);
  });

  it('near the invocation deadline only the first image starts; the rest are handed back unworked', async () => {
    serve('/deadline/big.jpg', 'big');
    serve('/deadline/small.png', 'small');
    serve('/deadline/anim.gif', 'anim');
    const { imageIds } = await seedProduct(ctx, 'acme', 'A-DEADLINE', [cdn.url('/deadline/big.jpg'), cdn.url('/deadline/small.png'), cdn.url('/deadline/anim.gif')]);
    await enqueuePendingImages(ctx);
    const received = await ctx.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: ctx.queueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], VisibilityTimeout: 60 }),
    );
    const event = { Records: received.Messages!.map((m) => sqsRecordFromMessage(m, 'arn:aws:sqs:us-east-1:000000000000:catalog-images', 'us-east-1')) };
    expect(event.Records).toHaveLength(3);
    const fetcher = createImageFetcher(ctx.config.fetch);
    const response = await handleImageBatch(ctx, fetcher, event, { remainingMs: () => 1_000 }).finally(() => fetcher.close());
    expect(response.batchItemFailures).toHaveLength(2);
    const rows = await Promise.all(imageIds.map((id) => imageRow(ctx, id)));
    expect(rows.map((r) => r.status).sort()).toEqual(['done', 'queued', 'queued']);
    // Claimed with the batch (one statement), then handed back: queued again with no error, and the
    // fencing token they were claimed with is spent (it only grows).
    expect(rows.filter((r) => r.status === 'queued').map((r) => [r.attempts, r.error_kind])).toEqual([
      [1, null],
      [1, null],
    ]);
    // Nothing deleted them (the event source would delete the done one): all come back, here at once,
    // the done one is skipped and the deferred ones finish.
    for (const message of received.Messages!) {
      await ctx.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: ctx.queueUrl, ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 }));
    }
    await runLocalWorker(ctx, { untilIdle: true });
    expect((await Promise.all(imageIds.map((id) => imageRow(ctx, id)))).map((r) => r.status)).toEqual(['done', 'done', 'done']);
  });

  it('logs each image with its source id, supplier and import, and the outcome', async () => {
    serve('/logged.png', 'small');
    const { imageIds } = await seedProduct(ctx, 'logged', 'L-1', [cdn.url('/logged.png')]);
    await enqueuePendingImages(ctx);
    const lines: Array<Record<string, unknown>> = [];
    const record = (message: string, attributes: Record<string, unknown> = {}) => lines.push({ message, ...attributes });
    const logged = { ...ctx, log: { debug: record, info: record, warn: record, error: record } };
    await runLocalWorker(logged, { untilIdle: true });
    expect(lines).toContainEqual(
      expect.objectContaining({ message: 'image', sourceId: imageIds[0], supplier: 'logged', importId: null, result: 'done' }),
    );
  });

  it('two ticks enqueueing at once send each pending image exactly once', async () => {
    const urls = Array.from({ length: 120 }, (_, i) => cdn.url(`/bulk/${i}.jpg`));
    const { imageIds } = await seedProduct(ctx, 'bulk', 'B-1', urls.slice(0, 60));
    const second = await seedProduct(ctx, 'bulk', 'B-2', urls.slice(60));
    const [a, b] = await Promise.all([enqueuePendingImages(ctx), enqueuePendingImages(ctx)]);
    expect(a.enqueued + b.enqueued).toBe(120);
    const seen: number[] = [];
    for (;;) {
      const got = await ctx.sqs.send(new ReceiveMessageCommand({ QueueUrl: ctx.queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }));
      if (!got.Messages?.length) break;
      seen.push(...got.Messages.map((m) => JSON.parse(m.Body!).sourceId));
    }
    expect(seen.sort((x, y) => x - y)).toEqual([...imageIds, ...second.imageIds].sort((x, y) => x - y));
  });
});
