import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCsvRows } from '../../../src/catalog/read-csv.ts';
import { buildCsv } from '../../helpers/spreadsheets.ts';

const fixtures = join(import.meta.dirname, '../../fixtures/csv');

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

  it.each([1, 3, 64 * 1024])('reads a CRLF header over LF rows as 51 rows (chunks of %i bytes)', async (chunkSize) => {
    const rows = await rowsOf(await readFile(join(fixtures, 'crlf-header-lf-rows.csv')), 'utf-8', chunkSize);
    expect(rows).toHaveLength(51);
    expect(rows[0]).toEqual({ rowNumber: 1, cells: ['SKU', 'Name', 'Price'] });
    expect(rows[50]).toEqual({ rowNumber: 51, cells: ['LF-50', 'Garden chair model 50', '60.50'] });
    expect(rows.filter((row) => row.cells.length !== 3 || row.error !== undefined)).toEqual([]);
  });

  it.each([1, 2, 3, 7])('reads CRLF, LF and lone CR in one file as row breaks, even split between chunks of %i bytes', async (chunkSize) => {
    const text = 'SKU,Name\r\nA1,Chair\nA2,Table\rA3,Lamp\r\n\nA4,Desk\n\rA5,Sofa';
    expect(await rowsOf(Buffer.from(text), 'utf-8', chunkSize)).toEqual([
      { rowNumber: 1, cells: ['SKU', 'Name'] },
      { rowNumber: 2, cells: ['A1', 'Chair'] },
      { rowNumber: 3, cells: ['A2', 'Table'] },
      { rowNumber: 4, cells: ['A3', 'Lamp'] },
      { rowNumber: 5, cells: [''] },
      { rowNumber: 6, cells: ['A4', 'Desk'] },
      { rowNumber: 7, cells: [''] },
      { rowNumber: 8, cells: ['A5', 'Sofa'] },
    ]);
  });

  it('keeps line breaks of every kind inside quoted cells, and counts file lines past them', async () => {
    const text = 'SKU,Notes,Price\n"A1","one\r\ntwo\nthree\rfour",5\r\n"A2","x",6,extra\n';
    expect(await rowsOf(Buffer.from(text))).toEqual([
      { rowNumber: 1, cells: ['SKU', 'Notes', 'Price'] },
      { rowNumber: 2, cells: ['A1', 'one\r\ntwo\nthree\rfour', '5'] },
      {
        rowNumber: 3,
        cells: ['A2', 'x', '6', 'extra'],
        error: 'file line 6: 4 cells where the header has 3 (a "," inside a cell that is not quoted?): the cells cannot be matched to columns; this row is ignored',
      },
    ]);
  });

  it('marks rows with more or fewer cells than the header, not blank rows', async () => {
    const text = 'SKU;Name;Price\nA1;Chair;12\nA2;Table, oak;3;50\nA3;Lamp\n\n;;\nA4;Desk;9\n';
    const rows = await rowsOf(Buffer.from(text));
    expect(rows.map((row) => [row.rowNumber, row.error])).toEqual([
      [1, undefined],
      [2, undefined],
      [3, '4 cells where the header has 3 (a ";" inside a cell that is not quoted?): the cells cannot be matched to columns; this row is ignored'],
      [4, '2 cells where the header has 3 (cells missing at the end of the line?): the cells cannot be matched to columns; this row is ignored'],
      [5, undefined],
      [6, undefined],
      [7, undefined],
    ]);
  });

  it('counts cells against the first non-blank row, the one taken as the header', async () => {
    const rows = await rowsOf(Buffer.from('\n\nSKU,Name\nA1,Chair\nA2\n'));
    expect(rows.map((row) => row.error ?? null)).toEqual([null, null, null, null, expect.stringMatching(/^1 cells where the header has 2/)]);
  });

  it.each([1, 3, 64 * 1024])('makes a NUL past the first 4 KB a row error with its byte offset and line (chunks of %i bytes)', async (chunkSize) => {
    const lines = ['SKU,Name,Notes'];
    for (let i = 1; i <= 120; i += 1) lines.push(`N-${i},Name number ${i},"padding so the file is over four kilobytes"`);
    lines[100] = 'N-100,"multi\nline",ok';
    lines[110] = 'N-110,Bro\0ken\0,x';
    const bytes = Buffer.from(`${lines.join('\n')}\n`);
    const offset = bytes.indexOf(0);
    expect(offset).toBeGreaterThan(4096);

    const rows = await rowsOf(bytes, 'utf-8', chunkSize);
    expect(rows).toHaveLength(121);
    const broken = rows.filter((row) => row.error !== undefined);
    expect(broken).toEqual([
      {
        rowNumber: 111,
        cells: ['N-110', 'Bro\0ken\0', 'x'],
        error: `a NUL byte at byte ${offset} (line 112) in column "Name": binary or damaged data; this row is ignored`,
      },
    ]);
    expect(rows[120]?.cells[0]).toBe('N-120');
  });

  it('gives the byte offset of a NUL in UTF-16 text', async () => {
    const text = '\uFEFFSKU\tName\nA1\tSof\u00e1\nA2\tx\0y\n';
    const rows = await rowsOf(Buffer.from(text, 'utf16le'), 'utf-16le', 5);
    expect(rows[2]?.error).toBe(`a NUL byte at byte ${2 * text.indexOf('\0')} (line 3) in column "Name": binary or damaged data; this row is ignored`);
    expect(rows[1]?.error).toBeUndefined();
  });

  it('fails on a NUL in the header row', async () => {
    await expect(rowsOf(Buffer.from('SKU,Na\0me\nA1,x\n'))).rejects.toMatchObject({
      kind: 'not_a_spreadsheet',
      message: 'a NUL byte at byte 6 (line 1) in the header row: binary or damaged data',
    });
  });

  it.each([1, 3, 4099, 64 * 1024])('fails on a byte that is not UTF-8, naming its byte offset and line (chunks of %i bytes)', async (chunkSize) => {
    const head = Buffer.from(`SKU,Name\r\n${Array.from({ length: 200 }, (_, i) => `W-${i},"Caf\u00e9 cr\u00e8me ${i}"\n`).join('')}`);
    const bytes = Buffer.concat([head, Buffer.from('W-200,Caf\xe9 au lait\nW-201,x\n', 'latin1')]);
    const offset = head.length + 'W-200,Caf'.length;
    expect(offset).toBeGreaterThan(4096);
    await expect(rowsOf(bytes, 'utf-8', chunkSize)).rejects.toMatchObject({
      kind: 'encoding',
      message: `the file is not valid UTF-8 text: byte ${offset} (line 202) is 0xe9: save it as "CSV UTF-8"`,
    });
  });

  it('fails on a lone surrogate in UTF-16, naming its byte offset and line', async () => {
    const good = Buffer.from('\uFEFFSKU\tName\r\nA1\tSof\u00e1\r\nA2\t', 'utf16le');
    const bytes = Buffer.concat([good, Buffer.from([0x00, 0xdc]), Buffer.from('x\r\n', 'utf16le')]);
    await expect(rowsOf(bytes, 'utf-16le', 7)).rejects.toMatchObject({
      kind: 'encoding',
      message: `the file is not valid UTF-16LE text: byte ${good.length} (line 3) starts a broken character (a lone surrogate): save it as "CSV UTF-8"`,
    });
  });

  it('fails on a file that ends inside a UTF-8 character', async () => {
    const bytes = Buffer.concat([Buffer.from('SKU,Name\nA1,Caf'), Buffer.from([0xc3])]);
    await expect(rowsOf(bytes)).rejects.toMatchObject({
      kind: 'encoding',
      message: 'the file is not valid UTF-8 text: the file ends inside a character that starts at byte 15 (line 2): save it as "CSV UTF-8"',
    });
  });
});
