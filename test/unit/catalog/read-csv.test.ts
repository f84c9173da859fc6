import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCsvRows } from '../../../src/catalog/read-csv.ts';
import { buildCsv } from '../../helpers/spreadsheets.ts';

async function rowsOf(bytes: Buffer, encoding: 'utf-8' | 'utf-16le' = 'utf-8', chunkSize = 3) {
  const chunks = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const rows = [];
  for await (const row of readCsvRows(Readable.from(chunks), encoding)) rows.push(row);
  return rows;
}

describe('readCsvRows', () => {
  it.each([',', ';', '\t'] as const)('reads %j-delimited files with a BOM, trimming cells', async (delimiter) => {
    const text = buildCsv([['SKU', 'Name'], [' A1 ', 'Chair, oak'], ['B2', 'Table']], { delimiter, bom: true });
    expect(await rowsOf(Buffer.from(text))).toEqual([
      { rowNumber: 1, cells: ['SKU', 'Name'] },
      { rowNumber: 2, cells: ['A1', 'Chair, oak'] },
      { rowNumber: 3, cells: ['B2', 'Table'] },
    ]);
  });

  it('numbers rows as a spreadsheet does: blank lines count, a multi-line cell is one row', async () => {
    const text = 'SKU,Notes\r\nA1,"two\r\nlines"\r\n\r\nB2,12" monitor\r\n';
    expect(await rowsOf(Buffer.from(text))).toEqual([
      { rowNumber: 1, cells: ['SKU', 'Notes'] },
      { rowNumber: 2, cells: ['A1', 'two\r\nlines'] },
      { rowNumber: 3, cells: [''] },
      { rowNumber: 4, cells: ['B2', '12" monitor'] },
    ]);
  });

  it('decodes multi-byte characters split across chunks, and UTF-16 with a BOM', async () => {
    expect((await rowsOf(Buffer.from('SKU;Name\nA1;Café crème\n'), 'utf-8', 1))[1]?.cells).toEqual(['A1', 'Café crème']);
    const utf16 = Buffer.from('\uFEFFSKU\tName\nA1\tSofá\n', 'utf16le');
    expect((await rowsOf(utf16, 'utf-16le'))[1]?.cells).toEqual(['A1', 'Sofá']);
  });

  it('fails on bytes that are not UTF-8', async () => {
    const latin1 = Buffer.from('SKU,Name\nA1,Caf\xe9\n', 'latin1');
    await expect(rowsOf(latin1)).rejects.toMatchObject({ kind: 'encoding', message: expect.stringMatching(/not valid UTF-8/) });
  });

  it('fails on a quote left open at the end', async () => {
    await expect(rowsOf(Buffer.from('SKU,Name\nA1,"open\n'))).rejects.toMatchObject({ kind: 'parse_error' });
  });
});
