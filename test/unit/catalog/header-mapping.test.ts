import { describe, expect, it } from 'vitest';
import { CatalogError } from '../../../src/catalog/errors.ts';
import { normalizeHeader, planColumns } from '../../../src/catalog/header-mapping.ts';

const headersOf = (columns: Array<{ header: string }>) => columns.map((c) => c.header);

describe('normalizeHeader', () => {
  it('ignores case, spaces, punctuation and accents, and reads # as number', () => {
    expect(normalizeHeader('  Item No. ')).toBe('itemno');
    expect(normalizeHeader('PRODUCT_CODE')).toBe('productcode');
    expect(normalizeHeader('Item #')).toBe('itemnumber');
    expect(normalizeHeader('Désignation')).toBe('designation');
    expect(normalizeHeader('Image-URL (2)')).toBe('imageurl2');
  });
});

describe('planColumns', () => {
  it.each([
    ['SKU'], ['sku'], ['Item Number'], ['Item No.'], ['item_no'], ['Item #'], ['Product Code'], ['Part Number'],
    ['Model'], ['Article Number'], ['Product ID'], ['Variant SKU'],
  ])('finds the SKU column headed %s', (header) => {
    expect(planColumns(['Price', header, 'Name']).sku).toEqual({ index: 1, header });
  });

  it('prefers SKU over weaker synonyms and keeps the others as fields', () => {
    const plan = planColumns(['Model', 'Name', 'SKU', 'Colour']);
    expect(plan.sku.header).toBe('SKU');
    expect(headersOf(plan.fields)).toEqual(['Model', 'Colour']);
  });

  it('picks the title by precedence: Title over Product Name over Name over Description', () => {
    expect(planColumns(['SKU', 'Description', 'Name', 'Title']).title?.header).toBe('Title');
    expect(planColumns(['SKU', 'Description', 'Name', 'Product Name']).title?.header).toBe('Product Name');
    expect(planColumns(['SKU', 'Description', 'Name']).title?.header).toBe('Name');
    expect(planColumns(['SKU', 'Description']).title?.header).toBe('Description');
    const plan = planColumns(['SKU', 'Name', 'Description']);
    expect(headersOf(plan.fields)).toEqual(['Description']);
  });

  it('orders images: main first, numbered by number, then multi-URL cells in sheet order', () => {
    const plan = planColumns([
      'Additional Images', 'Image 10', 'SKU', 'Picture 3', 'Image URL 2', 'Main Image', 'Images', 'image_1',
    ]);
    expect(headersOf(plan.images)).toEqual(['Main Image', 'image_1', 'Image URL 2', 'Picture 3', 'Image 10', 'Additional Images', 'Images']);
    expect(plan.fields).toEqual([]);
  });

  it('keeps unmatched columns as fields keyed by their original header, numbering repeats', () => {
    const plan = planColumns(['SKU', 'Colour', ' Size ', 'Colour', '']);
    expect(plan.fields.map((f) => f.key)).toEqual(['Colour', 'Size', 'Colour (2)', 'Column 5']);
  });

  it('lets the supplier mapping override the guesses', () => {
    const plan = planColumns(['Ref', 'SKU', 'Label', 'Name', 'Pic A', 'Pic B', 'Image 1'], {
      sku: 'ref',
      title: ['Missing', 'LABEL'],
      images: ['Pic B', 'Pic A'],
    });
    expect(plan.sku.header).toBe('Ref');
    expect(plan.title?.header).toBe('Label');
    expect(headersOf(plan.images)).toEqual(['Pic B', 'Pic A']);
    expect(headersOf(plan.fields)).toEqual(['SKU', 'Name', 'Image 1']);
  });

  it('fails naming the headers when no SKU column exists', () => {
    expect(() => planColumns(['Name', 'Price', 'Image'])).toThrow(
      expect.objectContaining({ kind: 'no_sku_column', message: expect.stringContaining('found: Name, Price, Image') }),
    );
  });

  it('fails when the mapping names a column the file does not have', () => {
    expect(() => planColumns(['SKU', 'Name'], { images: 'Photos' })).toThrow(CatalogError);
    expect(() => planColumns(['SKU', 'Name'], { sku: 'Code' })).toThrow(/mapping names SKU column "Code", but the headers are: SKU, Name/);
  });
});
