import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { startTestEnvironment, type TestEnvironment } from '../helpers/environment.ts';

describe('test environment', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment();
  });
  afterAll(() => env.stop());

  it('has a migrated database and the buckets', async () => {
    const { rows } = await env.ctx.pool.query(`select (select count(*)::int from product_images) as links, (select count(*)::int from image_sources) as sources`);
    expect(rows[0]).toEqual({ links: 0, sources: 0 });
    const buckets = await env.ctx.s3.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name).sort()).toEqual(['catalog-media', 'catalog-uploads']);
    expect(env.ctx.queueUrl).toContain('catalog-images');
  });
});
