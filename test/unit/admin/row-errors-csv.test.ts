import { describe, expect, it } from 'vitest';
import { rowErrorsToCsv } from '../../../src/admin/row-errors-csv.ts';

describe('row-error report as CSV', () => {
  it('quotes commas, quotes and line breaks, doubles inner quotes and uses CRLF', () => {
    const csv = rowErrorsToCsv([
      { rowNumber: 3, column: 'SKU', severity: 'error', message: 'missing SKU' },
      { rowNumber: 7, column: 'Image 1', severity: 'warning', message: 'not a URL: "ftp://x", skipped' },
      { rowNumber: 9, column: null, severity: 'error', message: 'line one\nline two' },
    ]);
    expect(csv).toBe(
      'row,column,severity,message\r\n' +
        '3,SKU,error,missing SKU\r\n' +
        '7,Image 1,warning,"not a URL: ""ftp://x"", skipped"\r\n' +
        '9,,error,"line one\nline two"\r\n',
    );
  });

  it('defuses cells a spreadsheet would run as formulas', () => {
    const csv = rowErrorsToCsv([{ rowNumber: 2, column: '=HYPERLINK("http://evil")', severity: 'error', message: '@SUM(A1)' }]);
    expect(csv.split('\r\n')[1]).toBe(`2,"'=HYPERLINK(""http://evil"")",error,'@SUM(A1)`);
  });

  it('is just the header for an import without errors', () => {
    expect(rowErrorsToCsv([])).toBe('row,column,severity,message\r\n');
  });
});
