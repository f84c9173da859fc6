import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../../src/context.ts';
import { importFile, rowErrorsOf } from '../../helpers/catalog.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { buildCsv, buildXlsx, catalogRows } from '../../helpers/spreadsheets.ts';

let env: TestEnvironment;
let ctx: AppContext;
beforeAll(async () => {
  env = await startTestEnvironment();
  ctx = env.ctx;
});
afterAll(() => env?.stop());

async function productsOf(supplier: string) {
  const { rows } = await ctx.pool.query(
    `SELECT p.sku, p.title, p.fields, p.image_urls, p.updated_at
       FROM products p JOIN suppliers s ON s.id = p.supplier_id
      WHERE s.code = $1 ORDER BY p.sku`,
    [supplier],
  );
  return rows;
}

async function imagesOf(supplier: string) {
  const { rows } = await ctx.pool.query(
    `SELECT p.sku, pi.position, src.source_url, src.status, src.attempts, src.url, pi.updated_at
       FROM product_images pi JOIN image_sources src ON src.id = pi.source_id
       JOIN products p ON p.id = pi.product_id JOIN suppliers s ON s.id = p.supplier_id
      WHERE s.code = $1 ORDER BY p.sku, pi.position`,
    [supplier],
  );
  return rows;
}

async function importRow(importId: number) {
  const { rows } = await ctx.pool.query(`SELECT * FROM imports WHERE id = $1`, [importId]);
  return rows[0];
}

describe('importSpreadsheet', () => {
  it('imports an xlsx file: products with fields, and pending images in order', async () => {
    const body = await buildXlsx([
      ['Item No.', 'Product Name', 'Colour', 'Images', 'Image 2', 'Main Image'],
      ['CH-1', 'Chair', 'oak', 'https://cdn.test/ch-3.jpg|https://cdn.test/ch-4.jpg', 'https://cdn.test/ch-2.jpg', 'https://cdn.test/ch-1.jpg'],
      ['TB-1', 'Table', null, null, null, { text: 'https://cdn.test/tb-1.jpg', hyperlink: 'https://cdn.test/tb-1.jpg' }],
    ]);
    const summary = await importFile(ctx, 'xlsxco', 'catalog.xlsx', body);

    expect(summary).toEqual({
      importId: summary.importId,
      status: 'done',
      rowsTotal: 2,
      rowsImported: 2,
      rowsFailed: 0,
      rowsMerged: 0,
      warnings: 0,
      productsUpserted: 2,
      imagesPending: 5,
      productsDiscontinued: 0,
    });
    expect((await productsOf('xlsxco')).map(({ sku, title, fields, image_urls }) => ({ sku, title, fields, image_urls }))).toEqual([
      { sku: 'CH-1', title: 'Chair', fields: { Colour: 'oak' }, image_urls: [] },
      { sku: 'TB-1', title: 'Table', fields: {}, image_urls: [] },
    ]);
    expect((await imagesOf('xlsxco')).map(({ sku, position, source_url, status }) => [sku, position, source_url, status])).toEqual([
      ['CH-1', 1, 'https://cdn.test/ch-1.jpg', 'pending'],
      ['CH-1', 2, 'https://cdn.test/ch-2.jpg', 'pending'],
      ['CH-1', 3, 'https://cdn.test/ch-3.jpg', 'pending'],
      ['CH-1', 4, 'https://cdn.test/ch-4.jpg', 'pending'],
      ['TB-1', 1, 'https://cdn.test/tb-1.jpg', 'pending'],
    ]);
    expect(await importRow(summary.importId)).toMatchObject({ status: 'done', rows_total: 2, images_pending: 5, error: null });
  });

  it('imports a semicolon csv with a BOM', async () => {
    const body = buildCsv(
      [
        ['Part Number', 'Title', 'Price', 'Picture 1', 'Additional Images'],
        ['P-1', 'Lamp', '9,90', 'https://cdn.test/p1.jpg', 'https://cdn.test/p1b.jpg, https://cdn.test/p1c.jpg'],
      ],
      { delimiter: ';', bom: true, newline: '\r\n' },
    );
    const summary = await importFile(ctx, 'csvco', 'catalog.csv', body);
    expect(summary).toMatchObject({ status: 'done', rowsImported: 1, imagesPending: 3 });
    expect(await productsOf('csvco')).toMatchObject([{ sku: 'P-1', title: 'Lamp', fields: { Price: '9,90' } }]);
    expect((await imagesOf('csvco')).map((i) => i.source_url)).toEqual([
      'https://cdn.test/p1.jpg',
      'https://cdn.test/p1b.jpg',
      'https://cdn.test/p1c.jpg',
    ]);
  });

  it('reports bad rows with row and column while the valid rows land', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `https://cdn.test/m${i + 1}.jpg`).join(' ');
    const body = buildCsv([
      ['SKU', 'Name', 'Image 1', 'Image 2', 'Images'],
      ['A', 'Alpha', 'https://cdn.test/a1.jpg', 'not a url', ''],
      ['', 'No SKU', 'https://cdn.test/x.jpg', '', ''],
      ['', '', '', '', ''],
      ['A', 'Alpha again', '', '', ''],
      ['M', 'Many', '', '', eleven],
    ]);
    const summary = await importFile(ctx, 'badrows', 'catalog.csv', body);

    expect(summary).toMatchObject({ status: 'done', rowsTotal: 4, rowsImported: 2, rowsFailed: 2, warnings: 1, productsUpserted: 2 });
    expect(await rowErrorsOf(ctx, summary.importId)).toEqual([
      { row_number: 2, column: 'Image 2', severity: 'error', message: 'image URL "not a url" is not a URL' },
      { row_number: 3, column: 'SKU', severity: 'error', message: 'SKU is empty' },
      { row_number: 5, column: 'SKU', severity: 'error', message: 'duplicate SKU "A": first on row 2; this row is ignored' },
      { row_number: 6, column: 'Images', severity: 'warning', message: '11 images, only the first 10 are kept' },
    ]);
    expect((await productsOf('badrows')).map((p) => [p.sku, p.title])).toEqual([
      ['A', 'Alpha'],
      ['M', 'Many'],
    ]);
    const images = await imagesOf('badrows');
    expect(images.filter((i) => i.sku === 'A').map((i) => i.source_url)).toEqual(['https://cdn.test/a1.jpg']);
    expect(images.filter((i) => i.sku === 'M')).toHaveLength(10);
  });

  it('changes nothing when the same file is imported again', async () => {
    const body = buildCsv(catalogRows(1200));
    const first = await importFile(ctx, 'twice', 'catalog.csv', body);
    expect(first).toMatchObject({ status: 'done', rowsImported: 1200, productsUpserted: 1200, imagesPending: 2400 });
    const productsBefore = await productsOf('twice');
    const imagesBefore = await imagesOf('twice');

    const second = await importFile(ctx, 'twice', 'catalog.csv', body);

    expect(second).toMatchObject({ status: 'done', rowsImported: 1200, productsUpserted: 0, imagesPending: 0 });
    expect(await productsOf('twice')).toEqual(productsBefore);
    expect(await imagesOf('twice')).toEqual(imagesBefore);
  });

  it('a changed URL links a new pending source; a done image keeps its URL; a removed position leaves image_urls', async () => {
    const v1 = buildCsv([
      ['SKU', 'Image 1', 'Image 2', 'Image 3'],
      ['S1', 'https://cdn.test/1.jpg', 'https://cdn.test/2.jpg', 'https://cdn.test/3.jpg'],
    ]);
    await importFile(ctx, 'changes', 'v1.csv', v1);
    await ctx.pool.query(
      `UPDATE image_sources src SET status = 'done', attempts = 1, url = 'https://media.test/' || pi.position || '.webp', s3_key = 'k' || pi.position
         FROM product_images pi
        WHERE pi.source_id = src.id
          AND pi.product_id = (SELECT p.id FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = 'changes')`,
    );
    await ctx.pool.query(
      `UPDATE products SET image_urls = ARRAY['https://media.test/1.webp', 'https://media.test/2.webp', 'https://media.test/3.webp']
        WHERE supplier_id = (SELECT id FROM suppliers WHERE code = 'changes')`,
    );

    const v2 = buildCsv([
      ['SKU', 'Image 1', 'Image 2'],
      ['S1', 'https://cdn.test/1.jpg', 'https://cdn.test/2-new.jpg'],
    ]);
    const summary = await importFile(ctx, 'changes', 'v2.csv', v2);

    expect(summary).toMatchObject({ status: 'done', imagesPending: 1 });
    expect((await imagesOf('changes')).map(({ position, source_url, status, attempts, url }) => ({ position, source_url, status, attempts, url }))).toEqual([
      { position: 1, source_url: 'https://cdn.test/1.jpg', status: 'done', attempts: 1, url: 'https://media.test/1.webp' },
      { position: 2, source_url: 'https://cdn.test/2-new.jpg', status: 'pending', attempts: 0, url: null },
    ]);
    expect((await productsOf('changes'))[0].image_urls).toEqual(['https://media.test/1.webp']);
  });

  it('leaves existing images alone when the file has no image column', async () => {
    await importFile(ctx, 'noimages', 'v1.csv', buildCsv([['SKU', 'Image'], ['S1', 'https://cdn.test/1.jpg']]));
    const summary = await importFile(ctx, 'noimages', 'v2.csv', buildCsv([['SKU', 'Name'], ['S1', 'Renamed']]));
    expect(summary).toMatchObject({ status: 'done', productsUpserted: 1 });
    expect((await imagesOf('noimages')).map((i) => i.source_url)).toEqual(['https://cdn.test/1.jpg']);
  });

  it('uses the supplier column mapping over the guesses', async () => {
    await importFile(ctx, 'mapped', 'seed.csv', buildCsv([['SKU'], ['seed']]));
    await ctx.pool.query(`UPDATE suppliers SET column_mapping = $1 WHERE code = 'mapped'`, [
      JSON.stringify({ sku: 'Ref', title: 'Label', images: ['Pic'] }),
    ]);
    await importFile(ctx, 'mapped', 'mapped.csv', buildCsv([['SKU', 'Ref', 'Label', 'Pic'], ['ignored', 'R-1', 'Widget', 'https://cdn.test/r1.jpg']]));
    expect(await productsOf('mapped')).toMatchObject([
      { sku: 'R-1', title: 'Widget', fields: { SKU: 'ignored' } },
      { sku: 'seed' },
    ]);
  });

  it.each([
    ['a PNG', 'photo.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), /binary content/],
    ['a file without SKU column', 'catalog.csv', buildCsv([['Name', 'Price'], ['Chair', '10']]), /no SKU column.*found: Name, Price/],
    ['a text file named xlsx', 'catalog.xlsx', 'SKU,Name\nA,B\n', /zip signature/],
  ])('fails %s and writes nothing', async (_name, fileName, body, reason) => {
    const summary = await importFile(ctx, 'refused', fileName, body);
    expect(summary).toMatchObject({ status: 'failed', rowsTotal: 0, productsUpserted: 0, error: expect.stringMatching(reason) });
    expect(await importRow(summary.importId)).toMatchObject({ status: 'failed', error: expect.stringMatching(reason) });
    expect(await productsOf('refused')).toEqual([]);
  });

  it('writes nothing when the file breaks after several batches', async () => {
    const body = `${buildCsv(catalogRows(1100))}X-1,"never closed\n`;
    const summary = await importFile(ctx, 'broken', 'catalog.csv', body);
    expect(summary).toMatchObject({ status: 'failed', error: expect.stringMatching(/CSV parse error after row 1101/) });
    expect(await productsOf('broken')).toEqual([]);
    expect(await rowErrorsOf(ctx, summary.importId)).toEqual([]);
  });

  it('fails a file with more rows than MAX_ROWS', async () => {
    const limited = { ...ctx, config: { ...ctx.config, limits: { ...ctx.config.limits, maxRows: 3 } } };
    const summary = await importFile(limited, 'toolong', 'catalog.csv', buildCsv(catalogRows(4)));
    expect(summary).toMatchObject({ status: 'failed', error: 'more than 3 rows (MAX_ROWS): split the file' });
    expect(await productsOf('toolong')).toEqual([]);
  });
});
