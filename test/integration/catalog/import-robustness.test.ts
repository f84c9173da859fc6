import { Readable } from 'node:stream';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPendingUploads } from '../../../src/catalog/import-pending-uploads.ts';
import { importSpreadsheet } from '../../../src/catalog/import-spreadsheet.ts';
import { registerUpload } from '../../../src/catalog/register-upload.ts';
import { createAwsClients } from '../../../src/aws-clients.ts';
import type { AppContext } from '../../../src/context.ts';
import { type AwsProxy, startAwsProxy } from '../../helpers/aws-proxy.ts';
import { withImportDyingAtSku } from '../../helpers/catalog.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { buildCsv } from '../../helpers/spreadsheets.ts';

let env: TestEnvironment;
let ctx: AppContext;
let proxy: AwsProxy;
/** The same world, but its S3 calls go through a proxy that fails GetObject on demand. */
let flakyCtx: AppContext;
beforeAll(async () => {
  env = await startTestEnvironment();
  ctx = env.ctx;
  proxy = await startAwsProxy(ctx.config.aws.endpoint!);
  flakyCtx = { ...ctx, s3: createAwsClients({ ...ctx.config, aws: { ...ctx.config.aws, endpoint: proxy.endpoint } }).s3 };
});
afterAll(async () => {
  flakyCtx?.s3.destroy();
  await proxy?.close();
  await env?.stop();
});

let clock = Date.UTC(2026, 10, 10);
/** Registers a file as uploaded a second after the previous one, so upload order is clear. */
async function upload(supplier: string, rows: string[][]) {
  clock += 1000;
  const at = { ...ctx, now: () => new Date(clock) };
  return registerUpload(at, { supplierCode: supplier, fileName: 'catalog.csv', body: Buffer.from(buildCsv(rows)) });
}

/** SKU-1..SKU-n titled `title`, in ascending or descending order. */
function catalog(n: number, title: string, order: 'up' | 'down'): string[][] {
  const skus = Array.from({ length: n }, (_, i) => (order === 'up' ? i + 1 : n - i));
  return [['SKU', 'Name'], ...skus.map((i) => [`SKU-${i}`, `${title} ${i}`])];
}

async function titlesOf(supplier: string) {
  const { rows } = await ctx.pool.query<{ title: string }>(
    `SELECT p.title FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = $1`,
    [supplier],
  );
  return new Set(rows.map((row) => row.title.split(' ')[0]));
}

async function importRow(importId: number) {
  const { rows } = await ctx.pool.query(`SELECT status, attempts, error, started_at, finished_at FROM imports WHERE id = $1`, [importId]);
  return rows[0];
}

describe('one supplier, two imports at once', () => {
  it('two ticks import overlapping files of one supplier in upload order: the later file wins', async () => {
    const older = await upload('overlap', catalog(1500, 'old', 'up'));
    const newer = await upload('overlap', catalog(1500, 'new', 'down'));

    const [a, b] = await Promise.all([importPendingUploads(ctx), importPendingUploads(ctx)]);

    expect([...a, ...b].map((s) => [s.importId, s.status]).sort()).toEqual([
      [older.importId, 'done'],
      [newer.importId, 'done'],
    ]);
    expect(await titlesOf('overlap')).toEqual(new Set(['new']));
    const [first, second] = [await importRow(older.importId), await importRow(newer.importId)];
    expect(second.started_at.getTime()).toBeGreaterThanOrEqual(first.finished_at.getTime());
  });

  it('two direct imports of overlapping SKUs in opposite orders both finish (no deadlock), one after the other', async () => {
    const up = await upload('deadlock', catalog(1500, 'up', 'up'));
    const down = await upload('deadlock', catalog(1500, 'down', 'down'));
    const run = (importId: number, rows: string[][]) =>
      importSpreadsheet(ctx, importId, Readable.from([Buffer.from(buildCsv(rows))]), 'csv');

    const summaries = await Promise.all([run(up.importId, catalog(1500, 'up', 'up')), run(down.importId, catalog(1500, 'down', 'down'))]);

    expect(summaries.map((s) => s.status)).toEqual(['done', 'done']);
    const [u, d] = [await importRow(up.importId), await importRow(down.importId)];
    const last = u.finished_at > d.finished_at ? 'up' : 'down';
    // Serialised whole: every product carries the values of the import that committed last.
    expect(await titlesOf('deadlock')).toEqual(new Set([last]));
  });
});

describe('transient S3 read failures', () => {
  const failGetsFor = (supplier: string) => {
    let failing = true;
    proxy.intercept((call) => (failing && call.method === 'GET' && call.path.includes(`/uploads/${supplier}/`) ? 500 : undefined));
    return () => {
      failing = false;
    };
  };

  it('puts the import back to uploaded, and the next tick imports it', async () => {
    const { importId } = await upload('flaky', catalog(3, 'v1', 'up'));
    const recover = failGetsFor('flaky');

    expect(await importPendingUploads(flakyCtx)).toEqual([
      expect.objectContaining({ importId, status: 'uploaded', error: expect.stringMatching(/cannot read s3:.*\(attempt 1 of 3; retried on the next tick\)/) }),
    ]);
    // Claimed once in that tick, not retried in a loop.
    expect(await importRow(importId)).toMatchObject({ status: 'uploaded', attempts: 1 });
    expect(await titlesOf('flaky')).toEqual(new Set());

    recover();
    expect((await importPendingUploads(flakyCtx)).map((s) => [s.importId, s.status])).toEqual([[importId, 'done']]);
    expect(await importRow(importId)).toMatchObject({ status: 'done', attempts: 2, error: null });
    expect(await titlesOf('flaky')).toEqual(new Set(['v1']));
  });

  it('fails the import after the last attempt', async () => {
    const { importId } = await upload('down', catalog(3, 'v1', 'up'));
    failGetsFor('down');
    for (let tick = 1; tick <= 3; tick += 1) await importPendingUploads(flakyCtx);
    expect(await importRow(importId)).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: expect.stringMatching(/^cannot read s3:.*\(gave up after 3 attempts\)$/),
    });
    expect(await importPendingUploads(flakyCtx)).toEqual([]);
  });

  it('fails a vanished object at once: that is not transient', async () => {
    const { importId, sourceKey } = await upload('vanished', catalog(3, 'v1', 'up'));
    await ctx.s3.send(new DeleteObjectCommand({ Bucket: ctx.config.buckets.uploads, Key: sourceKey }));
    expect((await importPendingUploads(ctx)).map((s) => [s.importId, s.status])).toEqual([[importId, 'failed']]);
    expect(await importRow(importId)).toMatchObject({ status: 'failed', attempts: 1, error: expect.stringMatching(/^cannot read s3:/) });
  });
});

describe('short transactions: parse, then merge in batches', () => {
  it('a merge whose connection dies mid-file stays merging, and the next tick resumes it without reading the file', async () => {
    const { importId, sourceKey } = await upload('resume', catalog(1800, 'Resumed', 'up'));
    // The importing connection is killed while it merges its third batch of 500 (a crash of its
    // database session). Workers and other imports are untouched: only the importing backend dies.
    const body = Buffer.from(buildCsv(catalog(1800, 'Resumed', 'up')));
    const first = await withImportDyingAtSku(ctx, 'SKU-1200', () => importSpreadsheet(ctx, importId, Readable.from([body]), 'csv'));

    expect(first).toMatchObject({ status: 'merging', error: expect.stringMatching(/terminat/) });
    const { rows: [stalled] } = await ctx.pool.query(
      `SELECT status, merged_through, rows_total, started_at, (SELECT count(*)::int FROM import_staged_products WHERE import_id = $1) AS staged,
              (SELECT count(*)::int FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = 'resume') AS products
         FROM imports WHERE id = $1`,
      [importId],
    );
    // Two batches committed, the third rolled back with its connection; the file is staged whole.
    expect(stalled).toMatchObject({ status: 'merging', merged_through: 1000, rows_total: 1800, started_at: null, staged: 1800, products: 1000 });

    // The object is gone: a resumed merge must not need it.
    await ctx.s3.send(new DeleteObjectCommand({ Bucket: ctx.config.buckets.uploads, Key: sourceKey }));
    const [resumed] = await importPendingUploads(ctx);

    expect(resumed).toMatchObject({ importId, status: 'done', rowsTotal: 1800, rowsImported: 1800, productsUpserted: 1800 });
    expect((await titlesOf('resume'))).toEqual(new Set(['Resumed']));
    const { rows: [after] } = await ctx.pool.query(
      `SELECT (SELECT count(*)::int FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = 'resume') AS products,
              (SELECT count(*)::int FROM import_staged_products WHERE import_id = $1) AS staged`,
      [importId],
    );
    expect(after).toEqual({ products: 1800, staged: 0 });
  });

  it('while a big file is read, no product row is locked; each merge batch holds its locks alone', async () => {
    await upload('unlocked', catalog(10, 'Old', 'up')).then(({ importId }) =>
      importSpreadsheet(ctx, importId, Readable.from([Buffer.from(buildCsv(catalog(10, 'Old', 'up')))]), 'csv'),
    );
    const { importId } = await upload('unlocked', catalog(10, 'New', 'up'));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const rows = buildCsv(catalog(10, 'New', 'up')).split('\n');
    // The file arrives slowly: its first half, then (after the check below) the rest.
    async function* slowly() {
      yield Buffer.from(`${rows.slice(0, 6).join('\n')}\n`);
      await gate;
      yield Buffer.from(rows.slice(6).join('\n'));
    }
    const importing = importSpreadsheet(ctx, importId, Readable.from(slowly()), 'csv');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A worker's transaction can lock every product of the supplier while the file streams.
    const { rows: locked } = await ctx.pool.query(
      `SELECT p.id FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = 'unlocked' FOR UPDATE NOWAIT`,
    );
    expect(locked).toHaveLength(10);
    release();
    expect(await importing).toMatchObject({ status: 'done', productsUpserted: 10 });
    expect(await titlesOf('unlocked')).toEqual(new Set(['New']));
  });
});
