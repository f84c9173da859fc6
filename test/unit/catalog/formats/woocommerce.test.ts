import { describe, expect, it } from 'vitest';
import { assembleFixture } from '../../../helpers/platform-files.ts';

const uploads = 'https://woocommerce.com/wp-content/uploads/2017/12/';

describe('WooCommerce product CSV', () => {
  it('keys products by SKU, splits Images, and keeps each variation with its Parent', async () => {
    const { products, issues, counts, description } = await assembleFixture('woocommerce-products.csv');

    expect(description).toMatchObject({ format: 'woocommerce', detected: true });
    expect(description.mapping).toMatchObject({ sku: ['SKU'], title: ['Name'], images: ['Images'], variants: [] });
    expect(products.map((p) => [p.rowNumber, p.sku, p.title, p.imageUrls])).toEqual([
      [2, 'woo-vneck-tee', 'V-Neck T-Shirt', [`${uploads}vneck-tee-2.jpg`, `${uploads}vnech-tee-green-1.jpg`, `${uploads}vnech-tee-blue-1.jpg`]],
      [3, 'woo-vneck-tee-red', 'V-Neck T-Shirt - Red', [`${uploads}vneck-tee-2.jpg`]],
      [4, 'woo-vneck-tee-green', 'V-Neck T-Shirt - Green', [`${uploads}vnech-tee-green-1.jpg`]],
      [5, 'id:47', 'V-Neck T-Shirt - Blue', [`${uploads}vnech-tee-blue-1.jpg`]],
      [6, 'woo-beanie', 'Beanie', [`${uploads}beanie-2.jpg`]],
    ]);
    expect(products[1]!.fields).toMatchObject({ ID: '45', Type: 'variation', Parent: 'woo-vneck-tee', 'Regular price': '20', 'Attribute 1 value(s)': 'Red' });
    expect(products[3]!.fields).toMatchObject({ ID: '47', Parent: 'woo-vneck-tee' });
    expect(products[0]!.fields).toMatchObject({ Type: 'variable', 'Attribute 1 value(s)': 'Blue, Green, Red' });
    expect(issues).toEqual([
      {
        rowNumber: 5,
        column: 'SKU',
        severity: 'warning',
        message: 'SKU is empty on 1 row (the first is this one): keyed by ID as "id:<ID>" instead; give them a SKU so that files from another store match them',
      },
    ]);
    expect(counts).toEqual({ rowsTotal: 5, products: 5, rowsRejected: 0, rowsMerged: 0 });
  });
});
