import { describe, expect, it } from 'vitest';
import { assembleFixture, assembleRows, sheet } from '../../../helpers/platform-files.ts';

const media = 'https://shop.example.test/media/catalog/product';

describe('Magento 2 catalog product CSV', () => {
  it('takes every image role then the gallery, each URL once, resolved against the image base URL', async () => {
    const { products, issues, counts, description } = await assembleFixture('magento-catalog_product.csv', { imageBaseUrl: `${media}/` });

    expect(description).toMatchObject({ format: 'magento', detected: true });
    expect(description.mapping).toMatchObject({
      sku: ['sku'],
      title: ['name'],
      images: ['base_image', 'small_image', 'thumbnail_image', 'swatch_image', 'additional_images'],
    });
    expect(products.map((p) => [p.rowNumber, p.sku, p.title, p.imageUrls])).toEqual([
      [2, '24-MB04', 'Strive Shoulder Pack', [`${media}/m/b/mb04-black-0.jpg`, `${media}/m/b/mb04-black-0_alt1.jpg`]],
      [
        4,
        'MJ01-XS-Orange',
        'Beaumont Summit Kit-XS-Orange',
        [
          `${media}/m/j/mj01-orange_main.jpg`,
          `${media}/m/j/mj01-orange_small.jpg`,
          `${media}/m/j/mj01-orange_thumb.jpg`,
          `${media}/m/j/mj01-orange_swatch.jpg`,
          `${media}/m/j/mj01-orange_back.jpg`,
        ],
      ],
      // Shares its image with the simple product above; `no_selection` is Magento's "no image".
      [5, 'MJ01', 'Beaumont Summit Kit', [`${media}/m/j/mj01-orange_main.jpg`]],
    ]);
    expect(issues).toEqual([]);
    expect(counts).toEqual({ rowsTotal: 4, products: 3, rowsRejected: 0, rowsMerged: 1 });
  });

  it("merges a store view row's text into the product's fields instead of calling it a duplicate", async () => {
    const { products } = await assembleFixture('magento-catalog_product.csv', { imageBaseUrl: media });
    expect(products[0]!.fields).toMatchObject({
      product_type: 'simple',
      price: '32.000000',
      base_image_label: 'Image',
      hide_from_product_page: '/m/b/mb04-black-0_alt1.jpg',
      'name@de': 'Strive Schultertasche',
      'description@de': '<p>Bequemlichkeit für volle Tage.</p>',
      'url_key@de': 'strive-schultertasche',
    });
    expect(products[0]!.fields).not.toHaveProperty('store_view_code');
    expect(products[2]!.fields).toMatchObject({ configurable_variations: 'sku=MJ01-XS-Orange,color=Orange,size=XS' });
  });

  it('without an image base URL, reports each row with media paths and says how to set it', async () => {
    const { products, issues, counts } = await assembleFixture('magento-catalog_product.csv');
    expect(products.map((p) => [p.sku, p.imageUrls])).toEqual([
      ['24-MB04', []],
      ['MJ01-XS-Orange', []],
      ['MJ01', []],
    ]);
    expect(issues).toEqual([
      {
        rowNumber: 2,
        column: 'base_image',
        severity: 'error',
        message:
          'image path "/m/b/mb04-black-0.jpg" and 1 more cannot be downloaded without the supplier\'s image base URL: ' +
          'set it with `supplier set acme --image-base-url URL` (the shop\'s …/media/catalog/product address)',
      },
      expect.objectContaining({ rowNumber: 4, column: 'base_image', message: expect.stringMatching(/^image path "\/m\/j\/mj01-orange_main.jpg" and 4 more .*supplier set acme --image-base-url URL/) }),
      expect.objectContaining({ rowNumber: 5, column: 'base_image', message: expect.stringMatching(/^image path "\/m\/j\/mj01-orange_main.jpg" cannot be downloaded/) }),
    ]);
    expect(counts).toEqual({ rowsTotal: 4, products: 3, rowsRejected: 0, rowsMerged: 1 });
  });

  it('keeps absolute URLs as they are and rejects duplicate and orphan rows', async () => {
    const header = ['sku', 'store_view_code', 'product_type', 'name', 'base_image', 'additional_images'];
    const { products, issues, counts } = await assembleRows(
      sheet([
        header,
        ['A', '', 'simple', 'Alpha', 'https://cdn.test/a.jpg', '/a/b.jpg,https://cdn.test/a.jpg'],
        ['B', '', 'simple', 'Beta', '', ''],
        ['A', 'fr', '', 'Alpha FR', '', ''],
        ['A', '', 'simple', 'Alpha again', '', ''],
        ['C', 'de', '', 'Gamma DE', '', ''],
      ]),
      { imageBaseUrl: 'https://shop.test/media/catalog/product' },
    );
    expect(products.map((p) => [p.sku, p.title, p.imageUrls, p.fields])).toEqual([
      ['A', 'Alpha', ['https://cdn.test/a.jpg', 'https://shop.test/media/catalog/product/a/b.jpg'], { product_type: 'simple' }],
      ['B', 'Beta', [], { product_type: 'simple' }],
    ]);
    expect(issues).toEqual([
      {
        rowNumber: 4,
        column: 'store_view_code',
        severity: 'error',
        message: `store view "fr" of SKU "A" must follow the SKU's own row (row 2) to be merged; this row is ignored`,
      },
      { rowNumber: 5, column: 'sku', severity: 'error', message: 'duplicate SKU "A": first on row 2; this row is ignored' },
      {
        rowNumber: 6,
        column: 'store_view_code',
        severity: 'error',
        message: 'store view "de" of SKU "C", which has no row without store_view_code above it; this row is ignored',
      },
    ]);
    expect(counts).toEqual({ rowsTotal: 5, products: 2, rowsRejected: 3, rowsMerged: 0 });
  });
});
