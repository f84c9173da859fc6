import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateSupplierSettings } from '../../../src/admin/suppliers/update-supplier-settings.ts';
import { readCsvRows } from '../../../src/catalog/read-csv.ts';
import type { AppContext } from '../../../src/context.ts';
import { importFile, rowErrorsOf } from '../../helpers/catalog.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { platformFixture } from '../../helpers/platform-files.ts';
import { buildXlsx } from '../../helpers/spreadsheets.ts';

let env: TestEnvironment;
let ctx: AppContext;
beforeAll(async () => {
  env = await startTestEnvironment();
  ctx = env.ctx;
});
afterAll(() => env?.stop());

const importFixture = (supplier: string, fixture: string) => importFile(ctx, supplier, fixture, platformFixture(fixture));

/** A fixture's cells saved as .xlsx, as a supplier who opened the export in Excel would send it. */
async function fixtureAsXlsx(fixture: string): Promise<Buffer> {
  const rows: string[][] = [];
  for await (const row of readCsvRows(Readable.from([platformFixture(fixture)]), 'utf-8')) rows.push([...row.cells]);
  return buildXlsx(rows);
}

/** Each product of the supplier with its image source URLs in position order. */
async function catalogOf(supplier: string) {
  const { rows } = await ctx.pool.query<{ sku: string; title: string | null; fields: Record<string, string>; images: string[] }>(
    `SELECT p.sku, p.title, p.fields,
            coalesce((SELECT array_agg(s.source_url ORDER BY pi.position)
                        FROM product_images pi JOIN image_sources s ON s.id = pi.source_id
                       WHERE pi.product_id = p.id), '{}') AS images
       FROM products p JOIN suppliers su ON su.id = p.supplier_id
      WHERE su.code = $1 ORDER BY p.id`,
    [supplier],
  );
  return rows;
}

async function importRow(importId: number) {
  const { rows } = await ctx.pool.query(
    `SELECT status, rows_total, rows_imported, rows_failed, rows_merged, warnings FROM imports WHERE id = $1`,
    [importId],
  );
  return rows[0];
}

/** rows in the file = products written + rejected rows + rows merged on purpose */
function expectCountsAddUp(summary: { rowsTotal: number; rowsImported: number; rowsFailed: number; rowsMerged: number }) {
  expect(summary.rowsImported + summary.rowsFailed + summary.rowsMerged).toBe(summary.rowsTotal);
}

describe('importing platform exports', () => {
  it('Shopify: one product per Handle with its images and variants, continuation rows merged', async () => {
    const summary = await importFixture('shopify-store', 'shopify-products.csv');

    expect(summary).toMatchObject({ status: 'done', rowsTotal: 8, rowsImported: 3, rowsFailed: 0, rowsMerged: 5, warnings: 0, productsUpserted: 3 });
    expectCountsAddUp(summary);
    expect(await importRow(summary.importId)).toEqual({
      status: 'done',
      rows_total: 8,
      rows_imported: 3,
      rows_failed: 0,
      rows_merged: 5,
      warnings: 0,
    });
    const cdn = 'https://cdn.shopify.com/s/files/1/0533/2089/files/';
    const catalog = await catalogOf('shopify-store');
    expect(catalog.map(({ sku, title, images }) => ({ sku, title, images }))).toEqual([
      {
        sku: 'ocean-blue-shirt',
        title: 'Ocean Blue Shirt',
        images: ['front', 'side', 'back', 'detail', 's'].map((name) => `${cdn}ocean-blue-shirt-${name}.jpg?v=1`),
      },
      { sku: 'classic-leather-jacket', title: 'Classic Leather Jacket', images: [`${cdn}leather-jacket-1.jpg?v=1`, `${cdn}leather-jacket-2.jpg?v=1`] },
      { sku: 'gift-card', title: 'Gift Card', images: [] },
    ]);
    expect(catalog[0]!.fields).toMatchObject({ Vendor: 'partners-demo', Type: 'Shirts', 'Option1 Name': 'Size' });
    expect(JSON.parse(catalog[0]!.fields.variants!).map((v: Record<string, string>) => v['Variant SKU'])).toEqual(['OBS-S', 'OBS-M', 'OBS-L']);
    expect(JSON.parse(catalog[1]!.fields.variants!)).toEqual([expect.objectContaining({ 'Variant Price': '80.00' })]);
    expect(await rowErrorsOf(ctx, summary.importId)).toEqual([]);
  });

  it('Shopify saved as xlsx: the same products, since the layout, not the container, decides', async () => {
    const summary = await importFile(ctx, 'shopify-xlsx', 'products_export.xlsx', await fixtureAsXlsx('shopify-products.csv'));

    expect(summary).toMatchObject({ status: 'done', rowsTotal: 8, rowsImported: 3, rowsFailed: 0, rowsMerged: 5 });
    expect((await catalogOf('shopify-xlsx')).map((p) => [p.sku, p.images.length])).toEqual([
      ['ocean-blue-shirt', 5],
      ['classic-leather-jacket', 2],
      ['gift-card', 0],
    ]);
  });

  it('Magento: without an image base URL, products land and every row with media paths says how to set it', async () => {
    const summary = await importFixture('magento-nobase', 'magento-catalog_product.csv');

    expect(summary).toMatchObject({ status: 'done', rowsTotal: 4, rowsImported: 3, rowsFailed: 0, rowsMerged: 1, imagesPending: 0 });
    expectCountsAddUp(summary);
    const report = await rowErrorsOf(ctx, summary.importId);
    expect(report.map((r) => [r.row_number, r.column, r.severity])).toEqual([
      [2, 'base_image', 'error'],
      [4, 'base_image', 'error'],
      [5, 'base_image', 'error'],
    ]);
    expect(report[0].message).toContain('`supplier set magento-nobase --image-base-url URL`');
  });

  it('Magento: image roles then the gallery, each URL once, resolved against the base URL; store views merged', async () => {
    const media = 'https://shop.example.test/media/catalog/product';
    await updateSupplierSettings(ctx, 'magento-eu', { imageBaseUrl: media });
    const summary = await importFixture('magento-eu', 'magento-catalog_product.csv');

    expect(summary).toMatchObject({ status: 'done', rowsTotal: 4, rowsImported: 3, rowsFailed: 0, rowsMerged: 1, warnings: 0 });
    expectCountsAddUp(summary);
    expect(await importRow(summary.importId)).toMatchObject({ rows_total: 4, rows_merged: 1 });
    const catalog = await catalogOf('magento-eu');
    expect(catalog.map(({ sku, title, images }) => ({ sku, title, images }))).toEqual([
      { sku: '24-MB04', title: 'Strive Shoulder Pack', images: [`${media}/m/b/mb04-black-0.jpg`, `${media}/m/b/mb04-black-0_alt1.jpg`] },
      {
        sku: 'MJ01-XS-Orange',
        title: 'Beaumont Summit Kit-XS-Orange',
        images: ['main', 'small', 'thumb', 'swatch', 'back'].map((name) => `${media}/m/j/mj01-orange_${name}.jpg`),
      },
      { sku: 'MJ01', title: 'Beaumont Summit Kit', images: [`${media}/m/j/mj01-orange_main.jpg`] },
    ]);
    expect(catalog[0]!.fields).toMatchObject({ 'name@de': 'Strive Schultertasche', price: '32.000000' });
    // The shared image is one source linked by both products.
    const { rows } = await ctx.pool.query(`SELECT count(*)::int AS n FROM image_sources WHERE source_url = $1`, [`${media}/m/j/mj01-orange_main.jpg`]);
    expect(rows[0].n).toBe(1);
    expect(await rowErrorsOf(ctx, summary.importId)).toEqual([]);
  });

  it('WooCommerce: SKU as key, Images split, variations keep their Parent, an empty SKU keyed by ID', async () => {
    const summary = await importFixture('woo-shop', 'woocommerce-products.csv');

    expect(summary).toMatchObject({ status: 'done', rowsTotal: 5, rowsImported: 5, rowsFailed: 0, rowsMerged: 0, warnings: 1 });
    expectCountsAddUp(summary);
    const uploads = 'https://woocommerce.com/wp-content/uploads/2017/12/';
    const catalog = await catalogOf('woo-shop');
    expect(catalog.map(({ sku, title, fields, images }) => ({ sku, title, parent: fields.Parent, images }))).toEqual([
      {
        sku: 'woo-vneck-tee',
        title: 'V-Neck T-Shirt',
        parent: undefined,
        images: [`${uploads}vneck-tee-2.jpg`, `${uploads}vnech-tee-green-1.jpg`, `${uploads}vnech-tee-blue-1.jpg`],
      },
      { sku: 'woo-vneck-tee-red', title: 'V-Neck T-Shirt - Red', parent: 'woo-vneck-tee', images: [`${uploads}vneck-tee-2.jpg`] },
      { sku: 'woo-vneck-tee-green', title: 'V-Neck T-Shirt - Green', parent: 'woo-vneck-tee', images: [`${uploads}vnech-tee-green-1.jpg`] },
      { sku: 'id:47', title: 'V-Neck T-Shirt - Blue', parent: 'woo-vneck-tee', images: [`${uploads}vnech-tee-blue-1.jpg`] },
      { sku: 'woo-beanie', title: 'Beanie', parent: undefined, images: [`${uploads}beanie-2.jpg`] },
    ]);
    expect(await rowErrorsOf(ctx, summary.importId)).toEqual([
      { row_number: 5, column: 'SKU', severity: 'warning', message: expect.stringMatching(/^SKU is empty on 1 row .*keyed by ID as "id:<ID>"/) },
    ]);
  });

  it('PrestaShop: the semicolon file keyed by Reference #, images from Image URLs (x,y,z...)', async () => {
    const summary = await importFixture('presta-shop', 'prestashop-products.csv');

    expect(summary).toMatchObject({ status: 'done', rowsTotal: 3, rowsImported: 3, rowsFailed: 0, rowsMerged: 0, warnings: 0 });
    expectCountsAddUp(summary);
    const img = 'https://presta.example.test/img/p/';
    expect((await catalogOf('presta-shop')).map(({ sku, title, fields, images }) => ({ sku, title, id: fields['Product ID'], images }))).toEqual([
      { sku: 'demo_1', title: 'Hummingbird printed t-shirt', id: '1', images: [`${img}1/1-large_default.jpg`, `${img}2/2-large_default.jpg`] },
      { sku: 'demo_3', title: 'Hummingbird printed sweater', id: '2', images: [`${img}3/3-large_default.jpg`] },
      { sku: 'demo_11', title: 'Mug The best is yet to come', id: '3', images: [] },
    ]);
  });

  it('a format set on the supplier wins over detection; an unused image column is a warning on the import', async () => {
    await updateSupplierSettings(ctx, 'forced-generic', { format: 'generic', images: ['Image Src'] });
    const summary = await importFixture('forced-generic', 'shopify-products.csv');

    // Read as one row per product: the Handle is no SKU synonym, Variant SKU is, and rows without it are rejected.
    expect(summary).toMatchObject({ status: 'done', rowsTotal: 8, rowsImported: 3, rowsFailed: 5, rowsMerged: 0 });
    expect((await catalogOf('forced-generic')).map((p) => [p.sku, p.images.length])).toEqual([
      ['OBS-S', 1],
      ['OBS-M', 1],
      ['OBS-L', 1],
    ]);
    expectCountsAddUp(summary);
    const report = await rowErrorsOf(ctx, summary.importId);
    expect(report).toContainEqual({
      row_number: 1,
      column: 'Variant Image',
      severity: 'warning',
      message: expect.stringMatching(/^column "Variant Image" looks like an image column, but no mapping reads it as images/),
    });
  });
});
