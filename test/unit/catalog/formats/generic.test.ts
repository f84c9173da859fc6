import { describe, expect, it } from 'vitest';
import { assembleRows, sheet } from '../../../helpers/platform-files.ts';

describe('generic layout', () => {
  it('uses the header synonyms and rejects duplicate SKUs, as before formats existed', async () => {
    const { products, issues, counts, description } = await assembleRows(
      sheet([
        ['Item No.', 'Product Name', 'Colour', 'Image 2', 'Main Image'],
        ['A', 'Alpha', 'red', 'https://cdn.test/a2.jpg', 'https://cdn.test/a1.jpg'],
        ['', 'No SKU', '', '', ''],
        ['', '', '', '', ''],
        ['A', 'Alpha again', '', '', ''],
      ]),
    );
    expect(description).toEqual({
      format: 'generic',
      detected: true,
      mapping: { sku: ['Item No.'], title: ['Product Name'], images: ['Main Image', 'Image 2'], variants: [], fields: ['Colour'] },
    });
    expect(products).toEqual([
      { rowNumber: 2, sku: 'A', title: 'Alpha', fields: { Colour: 'red' }, imageUrls: ['https://cdn.test/a1.jpg', 'https://cdn.test/a2.jpg'] },
    ]);
    expect(issues).toEqual([
      { rowNumber: 3, column: 'Item No.', severity: 'error', message: 'SKU is empty' },
      { rowNumber: 5, column: 'Item No.', severity: 'error', message: 'duplicate SKU "A": first on row 2; this row is ignored' },
    ]);
    expect(counts).toEqual({ rowsTotal: 3, products: 1, rowsRejected: 2, rowsMerged: 0 });
  });

  it('rejects a row the reader marked broken, with its message and no column', async () => {
    const { products, issues, counts } = await assembleRows([
      { rowNumber: 1, cells: ['SKU', 'Name'] },
      { rowNumber: 2, cells: ['A', 'Alpha', 'extra'], error: 'row 2 has 3 cells, the header has 2' },
      { rowNumber: 3, cells: ['B', 'Beta'] },
    ]);
    expect(products.map((p) => p.sku)).toEqual(['B']);
    expect(issues).toEqual([{ rowNumber: 2, column: null, severity: 'error', message: 'row 2 has 3 cells, the header has 2' }]);
    expect(counts).toEqual({ rowsTotal: 2, products: 1, rowsRejected: 1, rowsMerged: 0 });
  });

  it('warns, naming the column, when a column of image URLs is read by no mapping', async () => {
    const { products, issues } = await assembleRows(
      sheet([
        ['SKU', 'Pic A', 'Image 2', 'Bild'],
        ['A', 'https://cdn.test/a.jpg', 'https://cdn.test/a2.jpg', 'https://cdn.test/bild.png'],
        ['B', '', '', '/media/b.webp, /media/c.webp'],
      ]),
      { format: 'generic', columnMapping: { images: 'Pic A' } },
    );
    expect(products.map((p) => [p.sku, p.imageUrls, p.fields])).toEqual([
      ['A', ['https://cdn.test/a.jpg'], { 'Image 2': 'https://cdn.test/a2.jpg', Bild: 'https://cdn.test/bild.png' }],
      ['B', [], { Bild: '/media/b.webp, /media/c.webp' }],
    ]);
    expect(issues).toEqual([
      {
        rowNumber: 1,
        column: 'Image 2',
        severity: 'warning',
        message:
          'column "Image 2" looks like an image column, but no mapping reads it as images: its cells are kept as a field and not downloaded (map it with `supplier set acme --images HEADER`)',
      },
      {
        rowNumber: 1,
        column: 'Bild',
        severity: 'warning',
        message: expect.stringMatching(/^column "Bild" holds image URLs or paths \(row 2: "https:\/\/cdn.test\/bild.png"\), but no mapping reads it as images/),
      },
    ]);
  });

  it('fails a header cell too long to be a header', async () => {
    await expect(assembleRows(sheet([['SKU', 'x'.repeat(40_000)]]))).rejects.toThrow('header cell 2 on row 1 is 40000 characters: not a header row');
  });
});
