import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queueDepth } from '../../../src/queue/queue-depth.ts';
import { requeueFailedImages } from '../../../src/admin/requeue-failed.ts';
import type { AppContext } from '../../../src/context.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { imageRow } from '../../helpers/seed.ts';
import { seedFailedImages, seedImport } from './seed-failures.ts';

describe('requeue failed images', () => {
  let env: TestEnvironment;
  let ctx: AppContext;
  let acme404: number[];
  let acmeTimeout: number[];
  let globex404: number[];
  let acmeImport: number;

  beforeAll(async () => {
    env = await startTestEnvironment();
    ctx = env.ctx;
  });
  afterAll(async () => env?.stop());

  beforeEach(async () => {
    await ctx.pool.query(`TRUNCATE suppliers, imports, products, product_images, image_sources RESTART IDENTITY CASCADE`);
    acme404 = await seedFailedImages(ctx, { supplier: 'acme', sku: 'A-1', urls: ['https://a.test/1.jpg', 'https://a.test/2.jpg'], kind: 'http_4xx' });
    acmeImport = await seedImport(ctx, 'acme');
    acmeTimeout = await seedFailedImages(ctx, {
      supplier: 'acme',
      sku: 'A-2',
      urls: ['https://a.test/3.jpg'],
      kind: 'exhausted',
      importId: acmeImport,
      failedAt: new Date('2026-01-01T00:00:00Z'),
    });
    globex404 = await seedFailedImages(ctx, { supplier: 'globex', sku: 'G-1', urls: ['https://g.test/1.jpg'], kind: 'http_4xx' });
  });

  it('refuses to run without a filter unless told --all', async () => {
    await expect(requeueFailedImages(ctx, {})).rejects.toThrow(/needs a filter/);
    const all = await requeueFailedImages(ctx, { all: true }, { dryRun: true });
    expect(all.matched).toBe(4);
  });

  it('a dry run counts what each filter would move and changes nothing', async () => {
    const count = async (filter: Parameters<typeof requeueFailedImages>[1]) => (await requeueFailedImages(ctx, filter, { dryRun: true })).matched;
    expect(await count({ supplier: 'acme' })).toBe(3);
    expect(await count({ kind: 'http_4xx' })).toBe(3);
    expect(await count({ supplier: 'acme', kind: 'http_4xx' })).toBe(2);
    expect(await count({ importId: acmeImport })).toBe(1);
    expect(await count({ imageIds: [acme404[0]!, globex404[0]!] })).toBe(2);
    expect(await count({ since: new Date('2026-06-01T00:00:00Z') })).toBe(3); // the exhausted one failed in January
    expect((await imageRow(ctx, acme404[0]!)).status).toBe('failed');
  });

  it('moves the matches to pending with errors cleared and the fencing token kept, leaving the rest failed', async () => {
    const result = await requeueFailedImages(ctx, { supplier: 'acme', kind: 'http_4xx' });
    expect(result).toEqual({ matched: 2, requeued: 2, dryRun: false });
    for (const id of acme404) {
      // attempts is the fencing token: it never goes back (see the ABA case in test/integration/images/image-sources.test.ts).
      expect(await imageRow(ctx, id)).toMatchObject({ status: 'pending', attempts: 3, error_kind: null, last_error: null, lease_until: null });
    }
    expect((await imageRow(ctx, acmeTimeout[0]!)).status).toBe('failed');
    expect((await imageRow(ctx, globex404[0]!)).status).toBe('failed');
    expect((await queueDepth(ctx.sqs, ctx.queueUrl)).visible).toBe(0); // left for the next tick
  });

  it('with now, sends them to the images queue at once', async () => {
    const result = await requeueFailedImages(ctx, { importId: acmeImport }, { now: true });
    expect(result.requeued).toBe(1);
    expect(result.enqueued?.enqueued).toBe(1);
    expect((await imageRow(ctx, acmeTimeout[0]!)).status).toBe('queued');
    expect((await queueDepth(ctx.sqs, ctx.queueUrl)).visible).toBe(1);
  });
});
