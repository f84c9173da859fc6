import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presignUpload } from '../../../src/admin/presign-upload.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';

const fixture = join(import.meta.dirname, '../../fixtures/platforms/shopify-products.csv');

describe('presigned upload URL', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await startTestEnvironment();
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('signs only the host and carries no checksum of an empty body', async () => {
    const presigned = await presignUpload(env.ctx, { supplierCode: 'acme', fileName: 'catalog.csv', expiresInSeconds: 600 });
    const url = new URL(presigned.url);

    expect(url.pathname).toBe(`/${env.ctx.config.buckets.uploads}/${presigned.key}`);
    expect([...url.searchParams.keys()].sort()).toEqual([
      'X-Amz-Algorithm',
      'X-Amz-Content-Sha256',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-Signature',
      'X-Amz-SignedHeaders',
      'x-id',
    ]);
    expect(url.searchParams.get('X-Amz-Content-Sha256')).toBe('UNSIGNED-PAYLOAD');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
    expect(url.searchParams.has('x-amz-checksum-crc32')).toBe(false);
    expect(url.searchParams.has('x-amz-sdk-checksum-algorithm')).toBe(false);
  });

  it('accepts a PUT of a real file, byte for byte', async () => {
    const body = readFileSync(fixture);
    const presigned = await presignUpload(env.ctx, { supplierCode: 'acme', fileName: 'catalog.csv' });

    const put = await fetch(presigned.url, { method: 'PUT', body });

    expect(put.status).toBe(200);
    const stored = await env.ctx.s3.send(new GetObjectCommand({ Bucket: presigned.bucket, Key: presigned.key }));
    expect(Buffer.from(await stored.Body!.transformToByteArray())).toEqual(body);
  });
});
