import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateSupplierSettings } from '../../../src/admin/suppliers/update-supplier-settings.ts';
import { uploadSpreadsheet } from '../../../src/admin/upload-spreadsheet.ts';
import { previewSpreadsheet } from '../../../src/catalog/preview-spreadsheet.ts';
import type { AppContext } from '../../../src/context.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { buildCsv, buildXlsx } from '../../helpers/spreadsheets.ts';

const img = (name: string) => `https://img.example.test/${name}.jpg`;

const firstFile = buildCsv([
  ['SKU', 'Product Name', 'Colour', 'Image 1', 'Image 2'],
  ['P-1', 'Lamp', 'red', img('lamp-a'), img('lamp-b')],
  ['P-2', 'Kettle', 'steel', img('kettle'), ''],
  ['P-3', 'Chair', 'oak', '', ''],
]);

// P-1: new title, second image replaced; P-2 as it was; P-4 new, sharing lamp-a; two rows refused.
const secondFile = [
  ['SKU', 'Product Name', 'Colour', 'Image 1', 'Image 2'],
  ['P-1', 'Desk lamp', 'red', img('lamp-a'), img('lamp-c')],
  ['P-2', 'Kettle', 'steel', img('kettle'), ''],
  ['P-4', 'Stool', 'oak', img('lamp-a'), 'not a url'],
  ['', 'No SKU', '', '', ''],
  ['P-2', 'Kettle again', '', '', ''],
];

/** Rows in every table of the schema: what a dry run must leave exactly as it found it. */
async function rowCounts(ctx: AppContext) {
  const { rows: tables } = await ctx.pool.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) counts[name] = (await ctx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}"`)).rows[0]!.n;
  return counts;
}

describe('dry run (previewSpreadsheet)', () => {
  let env: TestEnvironment;
  let ctx: AppContext;
  let firstImport: number;

  beforeAll(async () => {
    env = await startTestEnvironment();
    ctx = env.ctx;
    const first = await uploadSpreadsheet(ctx, { supplierCode: 'acme', fileName: 'first.csv', body: Buffer.from(firstFile) }, { now: true });
    expect(first.imports[0]).toMatchObject({ status: 'done', rowsImported: 3 });
    firstImport = first.importId;
  });
  afterAll(() => env?.stop());

  it('reports format, mapping, products and images new and changed, and row errors, writing nothing', async () => {
    const before = await rowCounts(ctx);
    const supplierBefore = (await ctx.pool.query(`SELECT * FROM suppliers ORDER BY id`)).rows;
    expect(before).toMatchObject({ suppliers: 1, imports: 1, products: 3, image_sources: 3, product_images: 3 });

    const body = await buildXlsx(secondFile);
    const preview = await previewSpreadsheet(ctx, { supplierCode: 'acme', fileName: 'second.xlsx', body });

    expect(preview).toMatchObject({
      supplier: { code: 'acme', known: true, format: 'auto', imageBaseUrl: null },
      file: { name: 'second.xlsx', bytes: body.length },
      format: 'generic',
      detected: true,
      mapping: { sku: ['SKU'], title: ['Product Name'], images: ['Image 1', 'Image 2'], variants: [], fields: ['Colour'] },
      rows: { total: 5, products: 3, rejected: 2, merged: 0 },
      products: { new: 1, changed: 1, unchanged: 1 },
      // P-1: lamp-a kept, lamp-b → lamp-c; P-2: kettle kept; P-4: lamp-a new link.
      images: { links: { new: 1, changed: 1, removed: 0, unchanged: 2 }, downloads: 1 },
      issues: { errors: 3, warnings: 0 },
    });
    expect(preview).not.toHaveProperty('sameFileAs');
    expect(preview.sample).toEqual([
      { rowNumber: 2, sku: 'P-1', title: 'Desk lamp', fields: { Colour: 'red' }, imageUrls: [img('lamp-a'), img('lamp-c')], change: 'changed', galleryChanged: true },
      { rowNumber: 3, sku: 'P-2', title: 'Kettle', fields: { Colour: 'steel' }, imageUrls: [img('kettle')], change: 'unchanged', galleryChanged: false },
      { rowNumber: 4, sku: 'P-4', title: 'Stool', fields: { Colour: 'oak' }, imageUrls: [img('lamp-a')], change: 'new', galleryChanged: true },
    ]);
    expect(preview.issues.first).toEqual([
      expect.objectContaining({ rowNumber: 4, column: 'Image 2', severity: 'error', message: expect.stringContaining('"not a url" is not a URL') }),
      expect.objectContaining({ rowNumber: 5, column: 'SKU', message: 'SKU is empty' }),
      expect.objectContaining({ rowNumber: 6, column: 'SKU', message: expect.stringContaining('duplicate SKU "P-2": first on row 3') }),
    ]);

    expect(await rowCounts(ctx)).toEqual(before);
    expect((await ctx.pool.query(`SELECT * FROM suppliers ORDER BY id`)).rows).toEqual(supplierBefore);

    // The import of the same file does what the dry run said.
    const imported = await uploadSpreadsheet(ctx, { supplierCode: 'acme', fileName: 'second.xlsx', body }, { now: true });
    expect(imported.imports[0]).toMatchObject({
      status: 'done',
      rowsImported: preview.rows.products,
      rowsFailed: preview.rows.rejected,
      productsUpserted: preview.products.new + preview.products.changed,
      imagesPending: preview.images.downloads,
    });
  });

  it('names the done import of the same file, and a removed image', async () => {
    const same = await previewSpreadsheet(ctx, { supplierCode: 'acme', fileName: 'first.csv', body: Buffer.from(firstFile) });
    expect(same.sameFileAs).toBe(firstImport);
    // The second import changed P-1 and added P-4; reading the first file again would undo P-1 only.
    expect(same.products).toEqual({ new: 0, changed: 1, unchanged: 2 });
    expect(same.images.links).toEqual({ new: 0, changed: 1, removed: 0, unchanged: 2 });

    const shorter = buildCsv([
      ['SKU', 'Product Name', 'Colour', 'Image 1'],
      ['P-1', 'Desk lamp', 'red', img('lamp-c')],
    ]);
    const preview = await previewSpreadsheet(ctx, { supplierCode: 'acme', fileName: 'shorter.csv', body: Buffer.from(shorter) });
    expect(preview.images).toEqual({ links: { new: 0, changed: 1, removed: 1, unchanged: 0 }, downloads: 0 });
  });

  it('previews for a supplier that does not exist yet, using its defaults, and creates nothing', async () => {
    const before = await rowCounts(ctx);
    const preview = await previewSpreadsheet(ctx, { supplierCode: 'newco', fileName: 'first.csv', body: Buffer.from(firstFile) });
    expect(preview).toMatchObject({
      supplier: { code: 'newco', known: false, format: 'auto' },
      products: { new: 3, changed: 0, unchanged: 0 },
      // Image sources are shared by all suppliers: the lamp and kettle images are known already.
      images: { links: { new: 3, changed: 0, removed: 0, unchanged: 0 }, downloads: 0 },
    });
    expect(await rowCounts(ctx)).toEqual(before);
  });

  it("reads a Magento export as the supplier's settings say: store views merged, media paths on the image base URL", async () => {
    await updateSupplierSettings(ctx, 'mage', { imageBaseUrl: 'https://shop.example.test/media/catalog/product' });
    const before = await rowCounts(ctx);
    const magento = buildCsv([
      ['sku', 'store_view_code', 'product_type', 'name', 'base_image', 'additional_images'],
      ['MB01', '', 'simple', 'Joust Duffle Bag', '/m/b/mb01-blue-0.jpg', '/m/b/mb01-blue-0.jpg,/m/b/mb01-back.jpg'],
      ['MB01', 'de', '', 'Joust Reisetasche', '', ''],
    ]);
    const preview = await previewSpreadsheet(ctx, { supplierCode: 'mage', fileName: 'catalog_product.csv', body: Buffer.from(magento) });
    expect(preview).toMatchObject({
      supplier: { code: 'mage', known: true, format: 'auto' },
      format: 'magento',
      detected: true,
      mapping: { sku: ['sku'], title: ['name'], images: ['base_image', 'additional_images'] },
      rows: { total: 2, products: 1, rejected: 0, merged: 1 },
      products: { new: 1, changed: 0, unchanged: 0 },
      images: { links: { new: 2, changed: 0, removed: 0, unchanged: 0 }, downloads: 2 },
    });
    expect(preview.sample).toEqual([
      expect.objectContaining({
        sku: 'MB01',
        title: 'Joust Duffle Bag',
        fields: expect.objectContaining({ 'name@de': 'Joust Reisetasche' }),
        imageUrls: ['https://shop.example.test/media/catalog/product/m/b/mb01-blue-0.jpg', 'https://shop.example.test/media/catalog/product/m/b/mb01-back.jpg'],
      }),
    ]);
    expect(await rowCounts(ctx)).toEqual(before);
  });

  it('refuses what the import would refuse as a whole, with the same kind', async () => {
    await expect(
      previewSpreadsheet(ctx, { supplierCode: 'acme', fileName: 'x.csv', body: Buffer.from(buildCsv([['Name', 'Colour'], ['Lamp', 'red']])) }),
    ).rejects.toMatchObject({ kind: 'no_sku_column' });
    await expect(previewSpreadsheet(ctx, { supplierCode: 'Bad Code', fileName: 'x.csv', body: Buffer.from(firstFile) })).rejects.toMatchObject({
      kind: 'invalid_supplier',
    });
  });
});
