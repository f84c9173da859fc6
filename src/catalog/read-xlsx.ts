import type { Readable } from 'node:stream';
import ExcelJS, { type CellValue } from 'exceljs';
import { CatalogError, CatalogErrorKind } from './errors.ts';
import type { SheetRow } from './row-validation.ts';

/**
 * A cell as text. Formulas give their cached result (never evaluated), rich text and hyperlinks
 * their text, dates an ISO date (with time when not midnight), errors like #N/A nothing.
 */
export function cellText(value: CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return '';
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if ('richText' in value) return value.richText.map((run) => run.text ?? '').join('');
  if ('hyperlink' in value) return cellText(value.text as CellValue);
  if ('formula' in value || 'sharedFormula' in value) return cellText(value.result);
  return '';
}

/**
 * Streams the rows of the first worksheet (the first tab when the workbook says which one that is)
 * with exceljs's WorkbookReader; other sheets are skipped unread. Cells trimmed; row numbers are the
 * sheet's own, so rows Excel did not store (blank) leave gaps.
 */
export async function* readXlsxRows(source: Readable): AsyncGenerator<SheetRow> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(source, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    // Styles tell date cells from numbers; they are small.
    styles: 'cache',
    entries: 'ignore',
  });
  try {
    for await (const worksheet of reader) {
      // Neither is in exceljs's types: `model` is workbook.xml (tabs in order), `name` the sheet's tab.
      const firstTab = (reader as unknown as { model?: { sheets?: Array<{ name?: string }> } }).model?.sheets?.[0]?.name;
      const name = (worksheet as unknown as { name?: string }).name;
      if (firstTab !== undefined && name !== firstTab) continue;
      for await (const row of worksheet) {
        const values = row.values as CellValue[];
        const cells: string[] = [];
        for (let column = 1; column < values.length; column += 1) cells.push(cellText(values[column]).trim());
        yield { rowNumber: row.number, cells };
      }
      return;
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CatalogError(CatalogErrorKind.parse, `xlsx read error: ${message}`, { cause: error });
  } finally {
    source.destroy();
  }
  throw new CatalogError(CatalogErrorKind.notASpreadsheet, 'a zip file without worksheets: not an xlsx workbook');
}
