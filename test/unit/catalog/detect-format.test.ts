import { describe, expect, it } from 'vitest';
import { detectFormat, formatFromFileName, sniffDelimiter } from '../../../src/catalog/detect-format.ts';

describe('sniffDelimiter', () => {
  it.each([
    ['SKU,Name,Price', ','],
    ['SKU;Name;Price', ';'],
    ['SKU\tName\tPrice', '\t'],
    ['"SKU;x",Name,Price', ','],
    ['"a,b,c";Name', ';'],
    ['SKU', ','],
  ])('reads %j as %j', (line, delimiter) => {
    expect(sniffDelimiter(line)).toBe(delimiter);
  });
});

describe('detectFormat', () => {
  const bytes = (...values: number[]) => Uint8Array.from(values);

  it('takes a zip as xlsx whatever the name says', () => {
    expect(detectFormat(bytes(0x50, 0x4b, 0x03, 0x04, 1), 'csv')).toEqual({ format: 'xlsx', encoding: 'utf-8' });
  });

  it('takes text as UTF-8 csv, and a UTF-16 BOM as UTF-16', () => {
    expect(detectFormat(Buffer.from('\uFEFFSKU,Name'), 'csv')).toEqual({ format: 'csv', encoding: 'utf-8' });
    expect(detectFormat(bytes(0xff, 0xfe, 0x53, 0), 'csv')).toEqual({ format: 'csv', encoding: 'utf-16le' });
  });

  it('refuses binary content, legacy xls, empty files and an xlsx name without a zip', () => {
    expect(() => detectFormat(bytes(0x89, 0x50, 0x4e, 0x47, 0, 0), 'csv')).toThrow(/binary content/);
    expect(() => detectFormat(Buffer.from('SKU,Name\r\nA1,x\rA2,\0'), 'csv')).toThrow('not a spreadsheet: binary content (a NUL byte at byte 18, line 3; expected CSV text or .xlsx)');
    expect(() => detectFormat(bytes(0xd0, 0xcf, 0x11, 0xe0), 'xlsx')).toThrow(/legacy .xls/);
    expect(() => detectFormat(bytes(), 'csv')).toThrow(/empty/);
    expect(() => detectFormat(Buffer.from('SKU,Name'), 'xlsx')).toThrow(/zip signature/);
  });

  it('guesses from the file name', () => {
    expect(formatFromFileName('Catalog.XLSX')).toBe('xlsx');
    expect(formatFromFileName('catalog.csv')).toBe('csv');
    expect(formatFromFileName('catalog.txt')).toBe('csv');
  });
});
