import { describe, expect, it } from 'vitest';
import { assembleFixture, assembleRows, sheet } from '../../../helpers/platform-files.ts';

const img = 'https://presta.example.test/img/p/';

describe('PrestaShop product import CSV', () => {
  it('reads the semicolon file with Reference # as the SKU and Image URLs (x,y,z...) as the images', async () => {
    const { products, issues, counts, description } = await assembleFixture('prestashop-products.csv');

    expect(description).toMatchObject({ format: 'prestashop', detected: true });
    expect(description.mapping).toMatchObject({ sku: ['Reference #'], title: ['Name *'], images: ['Image URLs (x,y,z...)'] });
    expect(description.mapping.fields).toContain('Product ID');
    expect(products.map((p) => [p.sku, p.title, p.imageUrls])).toEqual([
      ['demo_1', 'Hummingbird printed t-shirt', [`${img}1/1-large_default.jpg`, `${img}2/2-large_default.jpg`]],
      ['demo_3', 'Hummingbird printed sweater', [`${img}3/3-large_default.jpg`]],
      ['demo_11', 'Mug The best is yet to come', []],
    ]);
    expect(products[0]!.fields).toMatchObject({
      'Product ID': '1',
      'Categories (x,y,z...)': 'Clothes,Men',
      'Price tax excluded': '23.9',
      'Image alt texts (x,y,z...)': 'front,back',
    });
    expect(issues).toEqual([]);
    expect(counts).toEqual({ rowsTotal: 3, products: 3, rowsRejected: 0, rowsMerged: 0 });
  });

  it('takes the format from the supplier and keys a product without reference by its Product ID', async () => {
    const { products, issues, description } = await assembleRows(
      sheet([
        ['Product ID', 'Name *', 'Reference #', 'Image URLs (x,y,z...)'],
        ['7', 'Poster', '', 'https://presta.test/7.jpg,https://presta.test/7b.jpg'],
        ['', 'Nothing', '', ''],
      ]),
      { format: 'prestashop' },
    );
    expect(description).toMatchObject({ format: 'prestashop', detected: false });
    expect(products).toMatchObject([{ sku: 'id:7', title: 'Poster', imageUrls: ['https://presta.test/7.jpg', 'https://presta.test/7b.jpg'] }]);
    expect(issues).toEqual([
      { rowNumber: 3, column: 'Reference #', severity: 'error', message: 'SKU is empty' },
      expect.objectContaining({ rowNumber: 2, column: 'Reference #', severity: 'warning', message: expect.stringMatching(/^Reference # is empty on 1 row .*keyed by Product ID as "id:<Product ID>"/) }),
    ]);
  });

  it('fails a file set to prestashop that has no Reference # column', async () => {
    await expect(assembleRows(sheet([['Product ID', 'Name *'], ['1', 'x']]), { format: 'prestashop' })).rejects.toThrow(
      'no "Reference #" column, which a PrestaShop file keys products by; found: Product ID, Name *',
    );
  });
});
