import { describe, expect, it } from 'vitest';
import { assembleFixture, assembleRows, sheet } from '../../../helpers/platform-files.ts';

const cdn = 'https://cdn.shopify.com/s/files/1/0533/2089/files/';

describe('Shopify product CSV', () => {
  it('makes one product per Handle, keyed by the Handle, with images by position then variant images', async () => {
    const { products, issues, counts, description } = await assembleFixture('shopify-products.csv');

    expect(description).toMatchObject({ format: 'shopify', detected: true });
    expect(description.mapping).toMatchObject({ sku: ['Handle'], title: ['Title'], images: ['Image Src', 'Variant Image'] });
    expect(description.mapping.variants).toEqual(expect.arrayContaining(['Option1 Value', 'Variant SKU', 'Variant Price', 'Variant Barcode', 'Cost per item']));
    expect(description.mapping.fields).toEqual(expect.arrayContaining(['Body (HTML)', 'Vendor', 'Option1 Name', 'Status']));
    expect(description.mapping.fields).not.toContain('Image Alt Text');

    expect(products.map((p) => [p.rowNumber, p.sku, p.title])).toEqual([
      [2, 'ocean-blue-shirt', 'Ocean Blue Shirt'],
      [6, 'classic-leather-jacket', 'Classic Leather Jacket'],
      [8, 'gift-card', 'Gift Card'],
    ]);
    expect(products.map((p) => p.imageUrls)).toEqual([
      [
        `${cdn}ocean-blue-shirt-front.jpg?v=1`,
        `${cdn}ocean-blue-shirt-side.jpg?v=1`,
        `${cdn}ocean-blue-shirt-back.jpg?v=1`,
        `${cdn}ocean-blue-shirt-detail.jpg?v=1`,
        `${cdn}ocean-blue-shirt-s.jpg?v=1`,
      ],
      [`${cdn}leather-jacket-1.jpg?v=1`, `${cdn}leather-jacket-2.jpg?v=1`],
      [],
    ]);
    expect(issues).toEqual([]);
    expect(counts).toEqual({ rowsTotal: 8, products: 3, rowsRejected: 0, rowsMerged: 5 });
  });

  it('keeps the first row as product data and every variant row as a variant', async () => {
    const { products } = await assembleFixture('shopify-products.csv');
    const [shirt, jacket, giftCard] = products;

    expect(shirt!.fields).toMatchObject({
      'Body (HTML)': '<p>Ocean blue cotton shirt with a narrow collar and buttons down the front.</p>',
      Vendor: 'partners-demo',
      Type: 'Shirts',
      Tags: 'men, shirts',
      'Option1 Name': 'Size',
      Status: 'active',
    });
    const variants = JSON.parse(shirt!.fields.variants!);
    expect(variants.map((v: Record<string, string>) => [v['Option1 Value'], v['Variant SKU'], v['Variant Price'], v['Variant Barcode']])).toEqual([
      ['S', 'OBS-S', '50.00', '0700000000011'],
      ['M', 'OBS-M', '50.00', '0700000000028'],
      ['L', 'OBS-L', '52.00', '0700000000035'],
    ]);
    expect(variants[0]['Variant Image']).toBe(`${cdn}ocean-blue-shirt-s.jpg?v=1`);

    // A store export leaves Variant SKU empty: the product still lands, keyed by its Handle.
    expect(JSON.parse(jacket!.fields.variants!)).toEqual([expect.not.objectContaining({ 'Variant SKU': expect.anything() })]);
    expect(JSON.parse(giftCard!.fields.variants!).map((v: Record<string, string>) => v['Option1 Value'])).toEqual(['$10.00', '$25.00']);
  });

  it('rejects a Handle whose rows come back after another Handle, naming its first row', async () => {
    const { products, issues, counts } = await assembleRows(
      sheet([
        ['Handle', 'Title', 'Variant SKU', 'Image Src'],
        ['a', 'A', 'A-1', 'https://cdn.test/a.jpg'],
        ['b', 'B', 'B-1', ''],
        ['a', '', 'A-2', 'https://cdn.test/a2.jpg'],
        ['a', '', 'A-3', ''],
        ['', 'No handle', 'X', ''],
      ]),
    );
    expect(products.map((p) => [p.sku, p.imageUrls])).toEqual([
      ['a', ['https://cdn.test/a.jpg']],
      ['b', []],
    ]);
    expect(issues).toEqual([
      { rowNumber: 4, column: 'Handle', severity: 'error', message: `duplicate Handle "a": first on row 2; a product's rows must follow each other; this row is ignored` },
      { rowNumber: 5, column: 'Handle', severity: 'error', message: `duplicate Handle "a": first on row 2; a product's rows must follow each other; this row is ignored` },
      { rowNumber: 6, column: 'Handle', severity: 'error', message: 'Handle is empty' },
    ]);
    expect(counts).toEqual({ rowsTotal: 5, products: 2, rowsRejected: 3, rowsMerged: 0 });
  });

  it('reports a bad Image Src on its own row and keeps the product', async () => {
    const { products, issues, counts } = await assembleRows(
      sheet([
        ['Handle', 'Title', 'Image Src', 'Image Position'],
        ['a', 'A', 'https://cdn.test/1.jpg', '1'],
        ['a', '', 'not a url', '2'],
      ]),
    );
    expect(products).toMatchObject([{ sku: 'a', imageUrls: ['https://cdn.test/1.jpg'] }]);
    expect(issues).toEqual([{ rowNumber: 3, column: 'Image Src', severity: 'error', message: 'image URL "not a url" is not a URL' }]);
    expect(counts).toEqual({ rowsTotal: 2, products: 1, rowsRejected: 0, rowsMerged: 1 });
  });

  it('orders images by Image Position across rows, unpositioned ones last, and keeps the first 10', async () => {
    const url = (n: number) => `https://cdn.test/${n}.jpg`;
    const imageRows = [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2].map((position) => ['a', '', url(position), String(position), '']);
    const { products, issues, counts } = await assembleRows(
      sheet([
        ['Handle', 'Title', 'Image Src', 'Image Position', 'Variant Image'],
        ['a', 'A', url(99), '', url(1)],
        ...imageRows,
      ]),
    );
    expect(products).toMatchObject([{ sku: 'a', imageUrls: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(url) }]);
    expect(issues).toEqual([{ rowNumber: 2, column: 'Image Src', severity: 'warning', message: '13 images, only the first 10 are kept' }]);
    expect(counts).toEqual({ rowsTotal: 12, products: 1, rowsRejected: 0, rowsMerged: 11 });
  });

  it('says the supplier mapping is not used for a Shopify file', async () => {
    const { issues } = await assembleRows(sheet([['Handle', 'Title', 'Image Src'], ['a', 'A', '']]), { columnMapping: { sku: 'Title' } });
    expect(issues).toEqual([{ rowNumber: 1, column: null, severity: 'warning', message: expect.stringMatching(/column mapping is not used for a Shopify file/) }]);
  });
});
