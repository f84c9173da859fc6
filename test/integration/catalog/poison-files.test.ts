import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getImportReport } from '../../../src/admin/row-errors.ts';
import { registerUpload } from '../../../src/catalog/index.ts';
import { claimNextUpload } from '../../../src/catalog/import-records.ts';
import { recordImportFailure } from '../../../src/catalog/import-spreadsheet.ts';
import type { AppContext } from '../../../src/context.ts';
import { runTick } from '../../../src/scheduled/run-tick.ts';
import { dropUpload } from '../../helpers/catalog.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { imageRow, seedProduct } from '../../helpers/seed.ts';
import { buildCsv } from '../../helpers/spreadsheets.ts';

let env: TestEnvironment;
let ctx: AppContext;
beforeAll(async () => {
  env = await startTestEnvironment();
  ctx = env.ctx;
});
afterAll(() => env?.stop());

const fixtures = join(import.meta.dirname, '../../fixtures/csv');

async function importsOf(supplier: string) {
  const { rows } = await ctx.pool.query<{ id: number; file_name: string; status: string; error: string | null; rows_imported: number }>(
    `SELECT i.id, i.file_name, i.status, i.error, i.rows_imported FROM imports i JOIN suppliers s ON s.id = i.supplier_id
      WHERE s.code = $1 ORDER BY i.id`,
    [supplier],
  );
  return rows;
}

async function skusOf(supplier: string) {
  const { rows } = await ctx.pool.query<{ sku: string }>(
    `SELECT p.sku FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = $1 ORDER BY p.id`,
    [supplier],
  );
  return rows.map((row) => row.sku);
}

describe('one poison file never stops a scheduled run', () => {
  it('imports the good files, fails the poison one with its reason, and still enqueues the images', async () => {
    // Prepare: the defects of issue 10, each in its own supplier's drop, plus a good file behind the poison one.
    const padding = 'x'.repeat(5000);
    await dropUpload(ctx, 'poison', '1-latin1.csv', Buffer.from(`SKU,Name,Notes\nP-1,Chair,${padding}\nP-2,Caf\xe9 table,x\n`, 'latin1'));
    await dropUpload(
      ctx,
      'poison',
      '2-good.csv',
      Buffer.from(buildCsv([['SKU', 'Name', 'Image'], ['G-1', 'Good chair', 'https://img.example.test/g-1.jpg']])),
    );
    await dropUpload(ctx, 'nul', 'nul.csv', Buffer.from(`SKU,Name,Notes\nN-1,First,${padding}\nN-2,Bad\0name,x\nN-3,Last,y\n`));
    await dropUpload(ctx, 'mixed', 'crlf-header-lf-rows.csv', await readFile(join(fixtures, 'crlf-header-lf-rows.csv')));

    // Act
    const tick = await runTick(ctx, 'schedule');

    // Assess: every import ended, none is left parsing to block its supplier.
    expect(tick.discovered).toBe(4);
    expect(tick.imports.map((i) => i.status).sort()).toEqual(['done', 'done', 'done', 'failed']);
    expect(await importsOf('poison')).toEqual([
      {
        id: expect.any(Number),
        file_name: '1-latin1.csv',
        status: 'failed',
        error: `the file is not valid UTF-8 text: byte ${`SKU,Name,Notes\nP-1,Chair,${padding}\nP-2,Caf`.length} (line 3) is 0xe9: save it as "CSV UTF-8"`,
        rows_imported: 0,
      },
      { id: expect.any(Number), file_name: '2-good.csv', status: 'done', error: null, rows_imported: 1 },
    ]);
    expect(await skusOf('poison')).toEqual(['G-1']);

    expect(await skusOf('nul')).toEqual(['N-1', 'N-3']);
    const [nulImport] = await importsOf('nul');
    expect((await getImportReport(ctx, nulImport!.id)).rowErrors).toEqual([
      {
        rowNumber: 3,
        column: null,
        severity: 'error',
        message: `a NUL byte at byte ${`SKU,Name,Notes\nN-1,First,${padding}\nN-2,Bad`.length} (line 3) in column "Name": binary or damaged data; this row is ignored`,
      },
    ]);

    const mixed = await skusOf('mixed');
    expect(mixed).toHaveLength(50);
    expect(mixed[49]).toBe('LF-50');
    const { rows: prices } = await ctx.pool.query<{ price: string }>(
      `SELECT p.fields->>'Price' AS price FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = 'mixed' AND p.sku = 'LF-01'`,
    );
    expect(prices).toEqual([{ price: '11.50' }]);

    expect(tick.enqueued).toBe(1);
    const { rows: runs } = await ctx.pool.query(`SELECT error, imported, enqueued FROM runs WHERE id = $1`, [tick.runId]);
    expect(runs).toEqual([{ error: null, imported: 4, enqueued: 1 }]);
  });

  it('records a failure whose message Postgres would refuse: one line, NUL spelled out, the driver\'s reason', async () => {
    const registered = await registerUpload(ctx, { supplierCode: 'unstorable', fileName: 'x.csv', body: Buffer.from('SKU\nU-1\n') });
    const claimed = await claimNextUpload(ctx.db);
    expect(claimed?.id).toBe(registered.importId);
    // A real database error about a NUL; drizzle's wrapper quotes the statement and its parameters.
    const thrown = await ctx.db.execute(sql`SELECT ${'row\0cell'}::text`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(thrown).toBeInstanceOf(Error);
    const direct = new Error('boom in cell "a\0b"\n    at somewhere (file.ts:1:1)');

    const summaries = [await recordImportFailure(ctx, registered.importId, thrown), await recordImportFailure(ctx, registered.importId, direct)];

    expect(summaries.map((s) => [s.status, s.error])).toEqual([
      ['failed', 'import failed: invalid byte sequence for encoding "UTF8": 0x00'],
      ['failed', 'import failed: boom in cell "a\\0b"'],
    ]);
    expect(await importsOf('unstorable')).toEqual([
      { id: registered.importId, file_name: 'x.csv', status: 'failed', error: 'import failed: boom in cell "a\\0b"', rows_imported: 0 },
    ]);
  });
});

describe('an import with no valid row', () => {
  it('ends rejected with why, and its report starts with that reason', async () => {
    const rows = [['SKU', 'Name', 'Image'], ...Array.from({ length: 21 }, (_, i) => ['', `Nameless ${i + 1}`, `https://img.example.test/${i}.jpg`])];
    await dropUpload(ctx, 'empty-skus', 'export.csv', Buffer.from(buildCsv(rows)));

    const tick = await runTick(ctx, 'schedule');

    expect(tick.imports).toEqual([
      expect.objectContaining({
        status: 'rejected',
        rowsTotal: 21,
        rowsImported: 0,
        rowsFailed: 21,
        error: 'all 21 rows were rejected: first error on row 2: SKU is empty',
      }),
    ]);
    const report = await getImportReport(ctx, tick.imports[0]!.importId);
    expect(report.import).toEqual({
      importId: tick.imports[0]!.importId,
      supplier: 'empty-skus',
      fileName: 'export.csv',
      status: 'rejected',
      error: 'all 21 rows were rejected: first error on row 2: SKU is empty',
      rowsTotal: 21,
      rowsImported: 0,
      rowsFailed: 21,
    });
    expect(report.rowErrors).toHaveLength(21);
    expect(tick.enqueued).toBe(0);
  });

  it('does not hold back the supplier\'s next upload', async () => {
    await dropUpload(ctx, 'empty-skus', 'fixed.csv', Buffer.from(buildCsv([['SKU', 'Name'], ['E-1', 'Named at last']])));
    const tick = await runTick(ctx, 'schedule');
    expect(tick.imports.map((i) => i.status)).toEqual(['done']);
    expect(await skusOf('empty-skus')).toEqual(['E-1']);
  });
});

describe('a tick whose discovery fails as a whole', () => {
  it('still enqueues the pending images, then records the run with the error and throws it', async () => {
    const { imageIds } = await seedProduct(ctx, 'seeded', 'S-1', ['https://img.example.test/seeded.jpg']);
    // A real S3 error from the emulator: the uploads bucket named by this configuration does not exist.
    const missingBucket: AppContext = { ...ctx, config: { ...ctx.config, buckets: { ...ctx.config.buckets, uploads: 'no-such-uploads-bucket' } } };

    await expect(runTick(missingBucket, 'schedule')).rejects.toThrow();

    const { rows } = await ctx.pool.query(`SELECT error IS NOT NULL AS failed, imported, enqueued FROM runs ORDER BY id DESC LIMIT 1`);
    expect(rows).toEqual([{ failed: true, imported: 0, enqueued: 1 }]);
    expect(await imageRow(ctx, imageIds[0]!)).toMatchObject({ status: 'queued' });
  });
});
