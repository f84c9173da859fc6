import { describe, expect, it } from 'vitest';
import { detectPlatform } from '../../../../src/catalog/formats/detect-platform.ts';

describe('detectPlatform', () => {
  it.each([
    ['shopify', ['Handle', 'Title', 'Body (HTML)', 'Vendor', 'Variant SKU', 'Image Src']],
    ['magento', ['sku', 'store_view_code', 'attribute_set_code', 'product_type', 'name', 'base_image']],
    ['woocommerce', ['ID', 'Type', 'SKU', 'Name', 'Published', 'Regular price', 'Images', 'Parent']],
    ['prestashop', ['Product ID', 'Active (0/1)', 'Name *', 'Reference #', 'Image URLs (x,y,z...)']],
  ])('knows a %s export by its headers', (format, headers) => {
    expect(detectPlatform(headers)).toBe(format);
  });

  it.each([
    [['SKU', 'Name', 'Image 1']],
    [['Handle', 'Name', 'Price']],
    [['sku', 'name', 'store']],
    [['ID', 'SKU', 'Name', 'Images']],
    [['Reference', 'Name']],
  ])('reads %j as generic', (headers) => {
    expect(detectPlatform(headers)).toBe('generic');
  });
});
