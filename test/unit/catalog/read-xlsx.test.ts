import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readXlsxRows } from '../../../src/catalog/read-xlsx.ts';
import { buildXlsx } from '../../helpers/spreadsheets.ts';

async function rowsOf(bytes: Buffer) {
  const rows = [];
  for await (const row of readXlsxRows(Readable.from([bytes]))) rows.push(row);
  return rows;
}

describe('readXlsxRows', () => {
  it('reads the first sheet as text: cached formula results, rich text, hyperlinks, numbers, dates', async () => {
    const bytes = await buildXlsx(
      [
        ['SKU', 'Name', 'Price', 'Image', 'Since', 'Total'],
        [
          12345,
          { richText: [{ text: 'Oak ' }, { text: 'Chair', font: { bold: true } }] },
          19.5,
          { text: 'https://x.test/a.jpg', hyperlink: 'https://x.test/a.jpg' },
          new Date(Date.UTC(2026, 0, 2)),
          { formula: 'C2*2', result: 39 },
        ],
        [],
        ['  B2  ', 'Table', null, null, null, { formula: 'NOW()' }],
      ],
      { extraSheets: { Notes: [['not', 'read']] } },
    );
    expect(await rowsOf(bytes)).toEqual([
      { rowNumber: 1, cells: ['SKU', 'Name', 'Price', 'Image', 'Since', 'Total'] },
      { rowNumber: 2, cells: ['12345', 'Oak Chair', '19.5', 'https://x.test/a.jpg', '2026-01-02', '39'] },
      { rowNumber: 4, cells: ['B2', 'Table', '', '', '', ''] },
    ]);
  });

  it('fails on a zip that is not a workbook', async () => {
    // An empty zip: just the end-of-central-directory record.
    const emptyZip = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]);
    await expect(rowsOf(emptyZip)).rejects.toMatchObject({ kind: 'not_a_spreadsheet' });
  });
});
