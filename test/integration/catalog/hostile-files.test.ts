import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverUploads } from '../../../src/catalog/discover-uploads.ts';
import { importPendingUploads } from '../../../src/catalog/import-pending-uploads.ts';
import type { AppContext } from '../../../src/context.ts';
import { dropUpload } from '../../helpers/catalog.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { buildCsv, buildXlsx, buildZip, xlsxParts } from '../../helpers/spreadsheets.ts';

const maxUncompressed = 4 * 1024 * 1024;
let env: TestEnvironment;
let ctx: AppContext;
let spoolDir: string;
beforeAll(async () => {
  // os.tmpdir() follows TMPDIR: a directory of this file's own shows that spooled uploads are removed.
  spoolDir = await mkdtemp(join(tmpdir(), 'hostile-files-'));
  process.env.TMPDIR = spoolDir;
  env = await startTestEnvironment({ XLSX_MAX_UNCOMPRESSED_BYTES: String(maxUncompressed) });
  ctx = env.ctx;
});
afterAll(() => env?.stop());

/** Drops `body` into the uploads bucket, as a supplier's sync would, and runs the tick's import. */
async function importDropped(supplier: string, fileName: string, body: Buffer) {
  await dropUpload(ctx, supplier, fileName, body);
  expect(await discoverUploads(ctx)).toBe(1);
  const summaries = await importPendingUploads(ctx);
  expect(summaries).toHaveLength(1);
  return summaries[0]!;
}

async function stateOf(supplier: string, importId: number) {
  const products = await ctx.pool.query(
    `SELECT p.sku, p.title, p.fields FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = $1 ORDER BY p.sku`,
    [supplier],
  );
  const report = await ctx.pool.query(
    `SELECT row_number, "column", message FROM import_row_errors WHERE import_id = $1 ORDER BY id`,
    [importId],
  );
  const imports = await ctx.pool.query(`SELECT status, error, rows_total, rows_imported, rows_failed FROM imports WHERE id = $1`, [importId]);
  return { products: products.rows, report: report.rows, import: imports.rows[0] };
}

/** A small real workbook whose parts the bombs below tamper with. */
const workbookRows = [
  ['SKU', 'Name'],
  ['B-1', 'Bomb carrier'],
];

async function withPart(name: string, data: Buffer, extra: { store?: boolean } = {}) {
  return buildZip([...(await xlsxParts(workbookRows)), { name, data, ...extra }]);
}

/** The same workbook with its sheet padded by `padding` bytes that its zip headers do not declare. */
async function withLyingSheet(padding: number) {
  const parts = await xlsxParts(workbookRows);
  return buildZip(
    parts.map((part) => {
      if (part.name !== 'xl/worksheets/sheet1.xml') return part;
      const xml = part.data.toString('utf8');
      const padded = xml.replace('</worksheet>', `${' '.repeat(padding)}</worksheet>`);
      return { ...part, data: Buffer.from(padded), declaredSize: part.data.length };
    }),
  );
}

type Expected =
  | { status: 'failed' | 'rejected'; error: RegExp }
  | { status: 'done'; rowsTotal: number; rowsImported: number; products: Array<[sku: string, title: string | null]>; report?: RegExp[] };

const cases: Array<[name: string, fileName: string, body: () => Promise<Buffer> | Buffer, expected: Expected]> = [
  [
    'zip bomb by declared size (50 MB of zeros)',
    'bomb.xlsx',
    () => withPart('xl/media/zeros.bin', Buffer.alloc(50 * 1024 * 1024)),
    { status: 'failed', error: /declares over 4194304 bytes uncompressed, past the limit \(XLSX_MAX_UNCOMPRESSED_BYTES\)/ },
  ],
  [
    'zip bomb with lying sizes (a sheet inflating past what it declares)',
    'liar.xlsx',
    () => withLyingSheet(3 * 1024 * 1024),
    { status: 'failed', error: /xlsx part xl\/worksheets\/sheet1\.xml inflates past its declared \d+ bytes: its sizes lie/ },
  ],
  [
    'a part compressed 1000:1',
    'ratio.xlsx',
    () => withPart('xl/media/zeros.bin', Buffer.alloc(3 * 1024 * 1024)),
    { status: 'failed', error: /xlsx part xl\/media\/zeros\.bin is compressed \d+:1, over the 200:1 limit/ },
  ],
  [
    'too many zip entries',
    'entries.xlsx',
    async () => buildZip([...(await xlsxParts(workbookRows)), ...Array.from({ length: 10_000 }, (_, i) => ({ name: `x/${i}`, data: Buffer.alloc(0) }))]),
    { status: 'failed', error: /the xlsx has 100\d\d zip entries, over the limit of 10000/ },
  ],
  [
    'a truncated xlsx',
    'truncated.xlsx',
    async () => (await buildXlsx(workbookRows)).subarray(0, 2000),
    { status: 'failed', error: /not a readable xlsx \(zip\) file/ },
  ],
  [
    'a zip that is not a workbook',
    'archive.xlsx',
    () => buildZip([{ name: 'readme.txt', data: Buffer.from('hello') }]),
    { status: 'failed', error: /a zip file without worksheets/ },
  ],
  [
    'a 1 MB cell (xlsx)',
    'huge-cell.xlsx',
    // Random text: a megabyte of one letter would be refused as a 850:1 part before any cell is read.
    () => buildXlsx([['SKU', 'Name'], ['H-1', randomBytes(768 * 1024).toString('base64')], ['H-2', 'Fine']]),
    { status: 'done', rowsTotal: 2, rowsImported: 1, products: [['H-2', 'Fine']], report: [/cell is 1048576 characters, over the 32767-character limit/] },
  ],
  [
    'a 100,000-character image URL (csv)',
    'long-url.csv',
    () => Buffer.from(buildCsv([['SKU', 'Name', 'Image'], ['U-1', 'Long', `https://cdn.test/${'a'.repeat(100_000)}.jpg`], ['U-2', 'Short', 'https://cdn.test/u2.jpg']])),
    { status: 'done', rowsTotal: 2, rowsImported: 1, products: [['U-2', 'Short']], report: [/cell is 100021 characters/] },
  ],
  [
    'a csv line that never ends (5 MB, no newline)',
    'endless.csv',
    () => Buffer.from(`SKU,Name\nE-1,${'x'.repeat(5 * 1024 * 1024)}`),
    { status: 'failed', error: /CSV row 2 is over 4194304 characters/ },
  ],
  ['a header-only csv', 'header.csv', () => Buffer.from('SKU,Name,Image\r\n'), { status: 'rejected', error: /^no data rows: the file has a header and nothing under it$/ }],
  ['a header-only xlsx', 'header.xlsx', () => buildXlsx([['SKU', 'Name']]), { status: 'rejected', error: /^no data rows/ }],
  [
    'a NUL byte past the first 4 KB (csv)',
    'nul.csv',
    // Before this change the NUL reached Postgres, and so did the failure's reason quoting it: the whole tick crashed.
    () => Buffer.from(`SKU,Name,Notes\nN-1,First,${'padding '.repeat(600)}\nN-2,Bad\0name,x\nN-3,Last,y\n`),
    {
      status: 'done',
      rowsTotal: 3,
      rowsImported: 2,
      products: [
        ['N-1', 'First'],
        ['N-3', 'Last'],
      ],
      report: [/^a NUL byte at byte 4833 \(line 3\) in column "Name": binary or damaged data; this row is ignored$/],
    },
  ],
  [
    'Windows-1252 text past the first 4 KB (csv)',
    'latin1.csv',
    () => Buffer.from(`SKU,Name\n${Array.from({ length: 300 }, (_, i) => `L-${i},Name number ${i}\n`).join('')}L-300,Caf\xe9\n`, 'latin1'),
    { status: 'failed', error: /^the file is not valid UTF-8 text: byte 6398 \(line 302\) is 0xe9: save it as "CSV UTF-8"$/ },
  ],
  [
    'merged cells: a title across columns, a SKU down two rows',
    'merged.xlsx',
    () =>
      buildXlsx(
        [
          ['SKU', 'Name', 'Colour'],
          ['M-1', 'Wide title', null],
          [null, 'Under a merged SKU', 'red'],
          ['M-3', 'Third', 'blue'],
        ],
        { merges: ['B2:C2', 'A2:A3'] },
      ),
    { status: 'done', rowsTotal: 3, rowsImported: 2, products: [['M-1', 'Wide title'], ['M-3', 'Third']], report: [/^SKU is empty$/] },
  ],
  [
    'binary garbage named .csv',
    'garbage.csv',
    () => Buffer.concat([randomBytes(100), Buffer.from([0]), randomBytes(5000)]),
    { status: 'failed', error: /not a spreadsheet: binary content/ },
  ],
  ['an empty file', 'empty.csv', () => Buffer.alloc(0), { status: 'failed', error: /the file is empty/ }],
  [
    'formulas: cached results only, never evaluated',
    'formulas.xlsx',
    () =>
      buildXlsx([
        ['SKU', 'Name', 'Price', 'Total'],
        ['F-1', { formula: 'A2&" chair"', result: 'F-1 chair' }, 2, { formula: 'C2*3', result: 6 }],
        ['F-2', 'No cache', 1, { formula: 'NOW()' }],
      ]),
    { status: 'done', rowsTotal: 2, rowsImported: 2, products: [['F-1', 'F-1 chair'], ['F-2', 'No cache']] },
  ],
];

describe('hostile spreadsheets', () => {
  it.each(cases)('%s', async (_name, fileName, body, expected) => {
    const supplier = `hostile-${cases.findIndex((c) => c[1] === fileName)}`;
    const summary = await importDropped(supplier, fileName, await body());
    const state = await stateOf(supplier, summary.importId);

    if (expected.status !== 'done') {
      expect(summary).toMatchObject({ status: expected.status, rowsTotal: 0, productsUpserted: 0 });
      expect(state.import).toMatchObject({ status: expected.status, error: expect.stringMatching(expected.error), rows_total: 0 });
      expect(state.products).toEqual([]);
      expect(state.report).toEqual([]);
    } else {
      expect(state.import).toMatchObject({ status: 'done', error: null, rows_total: expected.rowsTotal, rows_imported: expected.rowsImported });
      expect(state.products.map((p) => [p.sku, p.title])).toEqual(expected.products);
      expect(state.report.map((line) => line.message)).toEqual((expected.report ?? []).map((pattern) => expect.stringMatching(pattern)));
    }
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('keeps cached formula results as fields and leaves an uncached one empty', async () => {
    const { rows } = await ctx.pool.query(
      `SELECT p.sku, p.fields FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE p.sku LIKE 'F-%' ORDER BY p.sku`,
    );
    expect(rows).toEqual([
      { sku: 'F-1', fields: { Price: '2', Total: '6' } },
      { sku: 'F-2', fields: { Price: '1' } },
    ]);
  });

  it('reports the merged-away SKU on its row and keeps the merged-away colour out of the fields', async () => {
    const { rows } = await ctx.pool.query(
      `SELECT e.row_number, e."column" FROM import_row_errors e JOIN imports i ON i.id = e.import_id WHERE i.file_name = 'merged.xlsx'`,
    );
    expect(rows).toEqual([{ row_number: 3, column: 'SKU' }]);
    const products = await ctx.pool.query(`SELECT sku, fields FROM products WHERE sku LIKE 'M-%' ORDER BY sku`);
    expect(products.rows).toEqual([
      { sku: 'M-1', fields: {} },
      { sku: 'M-3', fields: { Colour: 'blue' } },
    ]);
  });
});
