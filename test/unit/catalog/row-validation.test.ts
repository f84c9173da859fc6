import { describe, expect, it } from 'vitest';
import { planColumns } from '../../../src/catalog/header-mapping.ts';
import { imageUrlProblem, splitImageCell, validateRow } from '../../../src/catalog/row-validation.ts';

describe('splitImageCell', () => {
  it.each([
    ['pipe', 'https://a.test/1.jpg|https://a.test/2.jpg'],
    ['semicolon', 'https://a.test/1.jpg; https://a.test/2.jpg'],
    ['comma', 'https://a.test/1.jpg,https://a.test/2.jpg'],
    ['whitespace', 'https://a.test/1.jpg \n\thttps://a.test/2.jpg'],
    ['trailing separator', 'https://a.test/1.jpg , https://a.test/2.jpg;'],
  ])('splits on %s', (_name, cell) => {
    expect(splitImageCell(cell)).toEqual(['https://a.test/1.jpg', 'https://a.test/2.jpg']);
  });

  it('keeps commas and semicolons inside a URL', () => {
    expect(splitImageCell('https://cdn.test/w_200,h_100/a.jpg;v=2|http://b.test/x.png')).toEqual([
      'https://cdn.test/w_200,h_100/a.jpg;v=2',
      'http://b.test/x.png',
    ]);
  });

  it('gives nothing for an empty cell', () => {
    expect(splitImageCell('')).toEqual([]);
  });
});

describe('imageUrlProblem', () => {
  it('accepts http and https URLs only', () => {
    expect(imageUrlProblem('https://cdn.test/a.jpg')).toBeUndefined();
    expect(imageUrlProblem('http://cdn.test/a.jpg')).toBeUndefined();
    expect(imageUrlProblem('ftp://cdn.test/a.jpg')).toMatch(/not an http\(s\) URL/);
    expect(imageUrlProblem('cdn.test/a.jpg')).toMatch(/not a URL/);
    expect(imageUrlProblem('http://')).toMatch(/not a URL/);
  });
});

describe('validateRow', () => {
  const plan = planColumns(['SKU', 'Name', 'Colour', 'Image', 'Image 2', 'Images']);
  const row = (cells: string[], rowNumber = 2) => validateRow({ rowNumber, cells }, plan);

  it('rejects a row the reader marked broken, with the reader\'s reason, even when its SKU is fine', () => {
    const error = '7 cells where the header has 6: the cells cannot be matched to columns; this row is ignored';
    expect(validateRow({ rowNumber: 4, cells: ['A1', 'Chair', 'red', '', '', '', 'x'], error }, plan)).toEqual({
      kind: 'rejected',
      issues: [{ rowNumber: 4, column: null, severity: 'error', message: error }],
    });
  });

  it('skips an empty row', () => {
    expect(row(['', '', ''])).toEqual({ kind: 'empty' });
  });

  it('builds the product with images in order and non-empty fields', () => {
    expect(row(['A1', 'Chair', 'red', 'https://x.test/1.jpg', 'https://x.test/2.jpg', 'https://x.test/3.jpg|https://x.test/4.jpg'])).toEqual({
      kind: 'product',
      issues: [],
      product: {
        rowNumber: 2,
        sku: 'A1',
        title: 'Chair',
        fields: { Colour: 'red' },
        imageUrls: ['https://x.test/1.jpg', 'https://x.test/2.jpg', 'https://x.test/3.jpg', 'https://x.test/4.jpg'],
      },
    });
  });

  it('rejects a row without SKU, naming the row and column', () => {
    expect(row(['', 'Chair'], 7)).toEqual({
      kind: 'rejected',
      issues: [{ rowNumber: 7, column: 'SKU', severity: 'error', message: 'SKU is empty' }],
    });
  });

  it('keeps the other images of a row with one bad URL and reports that cell', () => {
    const result = row(['A1', '', '', 'https://x.test/1.jpg', 'javascript:alert(1)', 'https://x.test/3.jpg'], 4);
    expect(result.kind).toBe('product');
    if (result.kind !== 'product') return;
    expect(result.product.imageUrls).toEqual(['https://x.test/1.jpg', 'https://x.test/3.jpg']);
    expect(result.product.title).toBeNull();
    expect(result.issues).toEqual([
      { rowNumber: 4, column: 'Image 2', severity: 'error', message: 'image URL "javascript:alert(1)" is not an http(s) URL' },
    ]);
  });

  it('keeps the first 10 images with a warning, and a repeated URL once', () => {
    const many = Array.from({ length: 12 }, (_, i) => `https://x.test/${i + 1}.jpg`);
    const result = row(['A1', '', '', many[0]!, '', many.join(' ')]);
    if (result.kind !== 'product') throw new Error('expected a product');
    expect(result.product.imageUrls).toEqual(many.slice(0, 10));
    expect(result.issues).toEqual([
      { rowNumber: 2, column: 'Images', severity: 'warning', message: '12 images, only the first 10 are kept' },
    ]);
  });
});

describe('validateRow with words in an image cell', () => {
  const plan = planColumns(['SKU', 'Images']);

  it('reports one error quoting the cell when no part of it is a URL', () => {
    const result = validateRow({ rowNumber: 3, cells: ['A1', 'see our website'] }, plan);
    expect(result).toMatchObject({ kind: 'product', issues: [{ column: 'Images', message: 'image URL "see our website" is not a URL' }] });
  });

  it('reports each bad part when the cell also holds URLs', () => {
    const result = validateRow({ rowNumber: 3, cells: ['A1', 'https://x.test/1.jpg | ftp://x.test/2.jpg'] }, plan);
    expect(result).toMatchObject({
      kind: 'product',
      product: { imageUrls: ['https://x.test/1.jpg'] },
      issues: [{ message: 'image URL "ftp://x.test/2.jpg" is not an http(s) URL' }],
    });
  });
});
