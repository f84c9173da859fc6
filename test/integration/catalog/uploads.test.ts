import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverUploads } from '../../../src/catalog/discover-uploads.ts';
import { importPendingUploads } from '../../../src/catalog/import-pending-uploads.ts';
import { registerUpload } from '../../../src/catalog/register-upload.ts';
import type { AppContext } from '../../../src/context.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { buildCsv, buildXlsx, catalogRows } from '../../helpers/spreadsheets.ts';

let env: TestEnvironment;
let ctx: AppContext;
beforeAll(async () => {
  env = await startTestEnvironment({ MAX_UPLOAD_BYTES: '100000' });
  ctx = { ...env.ctx, now: () => new Date('2026-11-05T07:16:54.123Z') };
});
afterAll(() => env?.stop());

const bucket = () => ctx.config.buckets.uploads;

async function storedBody(key: string) {
  const object = await ctx.s3.send(new GetObjectCommand({ Bucket: bucket(), Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

async function importsOf(supplier: string) {
  const { rows } = await ctx.pool.query(
    `SELECT i.id, i.source_key, i.file_name, i.status, i.file_bytes, i.rows_imported, i.error
       FROM imports i JOIN suppliers s ON s.id = i.supplier_id WHERE s.code = $1 ORDER BY i.id`,
    [supplier],
  );
  return rows;
}

describe('registerUpload', () => {
  it('stores a file larger than one request may carry (multipart), byte for byte', async () => {
    const big = { ...ctx, config: { ...ctx.config, limits: { ...ctx.config.limits, maxUploadBytes: 64 * 1024 * 1024 } } };
    const body = Buffer.from(buildCsv(catalogRows(150_000)));
    expect(body.length).toBeGreaterThan(12 * 1024 * 1024); // over fauxqs's 11 MiB request cap
    const upload = await registerUpload(big, { supplierCode: 'bulk', fileName: 'bulk.csv', body });
    expect((await storedBody(upload.sourceKey)).equals(body)).toBe(true);
    // Only the storing is under test: keep the 150k rows out of what the next tests import or discover.
    await ctx.pool.query(`DELETE FROM imports WHERE id = $1`, [upload.importId]);
    await ctx.s3.send(new DeleteObjectCommand({ Bucket: bucket(), Key: upload.sourceKey }));
  });

  it('stores the file, creates the supplier and registers the import', async () => {
    const body = Buffer.from(buildCsv(catalogRows(2)));
    const upload = await registerUpload(ctx, { supplierCode: 'acme', fileName: '../My Catalog (v2).csv', body });

    expect(upload).toEqual({ importId: upload.importId, sourceKey: expect.stringMatching(/^uploads\/acme\/2026-11-05T07-16-54-123Z-[0-9a-f]{6}-My-Catalog-v2\.csv$/) });
    expect(await storedBody(upload.sourceKey)).toEqual(body);
    expect(await importsOf('acme')).toEqual([
      {
        id: upload.importId,
        source_key: upload.sourceKey,
        file_name: '../My Catalog (v2).csv',
        status: 'uploaded',
        file_bytes: String(body.length),
        rows_imported: 0,
        error: null,
      },
    ]);
    const { rows } = await ctx.pool.query(`SELECT name FROM suppliers WHERE code = 'acme'`);
    expect(rows).toEqual([{ name: 'acme' }]);
  });

  it('refuses a bad supplier code and a file over MAX_UPLOAD_BYTES', async () => {
    const body = Buffer.from('SKU\nA\n');
    await expect(registerUpload(ctx, { supplierCode: 'Acme Ltd', fileName: 'a.csv', body })).rejects.toMatchObject({
      kind: 'invalid_supplier',
      message: expect.stringContaining('"Acme Ltd"'),
    });
    await expect(
      registerUpload(ctx, { supplierCode: 'big', fileName: 'big.csv', body: Buffer.alloc(100_001, 0x41) }),
    ).rejects.toMatchObject({ kind: 'too_large', message: expect.stringContaining('100000-byte limit') });
  });

  it('names the earlier done import of the same file', async () => {
    const body = Buffer.from(buildCsv(catalogRows(1)));
    const first = await registerUpload(ctx, { supplierCode: 'dupe', fileName: 'a.csv', body });
    await importPendingUploads(ctx);
    const later = { ...ctx, now: () => new Date('2026-11-05T09:00:00.000Z') };
    const second = await registerUpload(later, { supplierCode: 'dupe', fileName: 'a.csv', body });
    expect(second.duplicateOf).toBe(first.importId);
  });
});

describe('discoverUploads', () => {
  it('registers objects dropped into the bucket once, ignoring other key shapes', async () => {
    const csv = buildCsv(catalogRows(3));
    for (const key of ['uploads/dropco/catalog.csv', 'uploads/Bad Code/x.csv', 'uploads/dropco/nested/x.csv', 'elsewhere/dropco/x.csv']) {
      await ctx.s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: csv }));
    }
    await ctx.s3.send(new PutObjectCommand({ Bucket: bucket(), Key: 'uploads/dropco/huge.csv', Body: Buffer.alloc(100_001, 0x41) }));

    const registeredBefore = (await importsOf('acme')).length;
    expect(await discoverUploads(ctx)).toBe(2);
    expect(await discoverUploads(ctx)).toBe(0);
    expect(await importsOf('acme')).toHaveLength(registeredBefore);
    expect(await importsOf('dropco')).toMatchObject([
      { source_key: 'uploads/dropco/catalog.csv', file_name: 'catalog.csv', status: 'uploaded', error: null },
      { source_key: 'uploads/dropco/huge.csv', status: 'failed', error: expect.stringContaining('MAX_UPLOAD_BYTES') },
    ]);
  });
});

describe('importPendingUploads', () => {
  it('imports every uploaded file from the bucket, reporting progress', async () => {
    // Image URLs of its own: imagesPending counts new sources (downloads), and a URL another file
    // already brought in is no new download.
    const rows1200 = catalogRows(1200, 'https://cdn.example.test/streamco');
    await registerUpload(ctx, { supplierCode: 'streamco', fileName: 'big.xlsx', body: await buildXlsx(rows1200) });
    const progress: number[] = [];
    const summaries = await importPendingUploads(ctx, { onProgress: (p) => progress.push(p.rows) });

    expect(summaries.map((s) => s.status)).not.toContain('failed');
    const big = summaries.find((s) => s.rowsTotal === 1200);
    expect(big).toMatchObject({ rowsImported: 1200, imagesPending: 2400 });
    const links = await ctx.pool.query(
      `SELECT count(*)::int AS links, count(DISTINCT source_id)::int AS sources FROM product_images WHERE import_id = $1`,
      [big!.importId],
    );
    expect(links.rows[0]).toEqual({ links: 2400, sources: 2400 });
    // Reported at every batch of 1,000 as the file streams, and at its end.
    expect(progress).toEqual(expect.arrayContaining([1000, 1200]));
    const { rows } = await ctx.pool.query(`SELECT count(*)::int AS n FROM imports WHERE status IN ('uploaded', 'parsing')`);
    expect(rows[0].n).toBe(0);
    expect(await importsOf('dropco')).toMatchObject([{ status: 'done', rows_imported: 3 }, { status: 'failed' }]);
  });

  it('never parses the same import twice when two ticks run at once', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const at = { ...ctx, now: () => new Date(Date.UTC(2026, 10, 6, 0, 0, i)) };
      ids.push((await registerUpload(at, { supplierCode: `race${i % 2}`, fileName: 'c.csv', body: Buffer.from(buildCsv(catalogRows(50 + i))) })).importId);
    }
    const [a, b] = await Promise.all([importPendingUploads(ctx), importPendingUploads(ctx)]);
    const imported = [...a, ...b].map((s) => s.importId).sort((x, y) => x - y);
    expect(imported).toEqual(ids);
    expect([...a, ...b].every((s) => s.status === 'done')).toBe(true);
  });

  it('takes over an import left parsing by a tick that died', async () => {
    const { importId } = await registerUpload(
      { ...ctx, now: () => new Date('2026-11-07T00:00:00Z') },
      { supplierCode: 'crashed', fileName: 'c.csv', body: Buffer.from(buildCsv(catalogRows(2))) },
    );
    await ctx.pool.query(`UPDATE imports SET status = 'parsing', started_at = now() - interval '1 hour' WHERE id = $1`, [importId]);
    expect((await importPendingUploads(ctx)).map((s) => [s.importId, s.status])).toEqual([[importId, 'done']]);
  });
});

describe('upload registration without the race', () => {
  it('a tick that lists the bucket between the PUT and the end of registerUpload does not take the file as its own', async () => {
    let discovered: number | undefined;
    let statusDuringTick: string | undefined;
    // The tick runs right after the object lands, before registerUpload returns.
    const racingS3 = new Proxy(ctx.s3, {
      get(target, property) {
        if (property !== 'send') return Reflect.get(target, property, target);
        return async (command: { constructor: { name: string } }, ...rest: unknown[]) => {
          const output = await (target.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
          if (command instanceof PutObjectCommand) {
            discovered = await discoverUploads(ctx);
            const { rows } = await ctx.pool.query(`SELECT i.status FROM imports i JOIN suppliers s ON s.id = i.supplier_id WHERE s.code = 'racer'`);
            statusDuringTick = rows[0]?.status;
          }
          return output;
        };
      },
    });
    const upload = await registerUpload({ ...ctx, s3: racingS3 }, { supplierCode: 'racer', fileName: 'racer.csv', body: Buffer.from(buildCsv(catalogRows(3))) });

    expect(discovered).toBe(0);
    expect(statusDuringTick).toBe('receiving');
    expect(upload.duplicateOf).toBeUndefined();
    expect((await importsOf('racer')).map((i) => i.status)).toEqual(['uploaded']);
    const [imported] = await importPendingUploads(ctx);
    expect(imported).toMatchObject({ importId: upload.importId, status: 'done', rowsImported: 3 });
  });

  it('an upload whose uploader died after storing the file is imported once it is stale', async () => {
    const key = `${ctx.config.uploadsPrefix}orphan/orphan.csv`;
    const body = buildCsv(catalogRows(2));
    await ctx.s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: body }));
    await ctx.pool.query(
      `INSERT INTO suppliers (code, name) VALUES ('orphan', 'orphan') ON CONFLICT (code) DO NOTHING;
       INSERT INTO imports (supplier_id, source_key, file_name, status, created_at)
       SELECT id, '${key}', 'orphan.csv', 'receiving', now() - interval '1 hour' FROM suppliers WHERE code = 'orphan'`,
    );
    expect(await discoverUploads(ctx)).toBe(0);
    expect((await importsOf('orphan')).map((i) => i.status)).toEqual(['uploaded']);
  });
});
