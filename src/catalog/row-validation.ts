import type { Column, ColumnPlan } from './header-mapping.ts';

/** One spreadsheet row: `rowNumber` is the 1-based row as the spreadsheet shows it (header = 1). */
export interface SheetRow {
  rowNumber: number;
  cells: readonly string[];
  /** Set by a reader when the row is broken (wrong cell count, bad byte): the row is a row error with this message. */
  error?: string;
}

export const maxImagesPerProduct = 10;

/** Excel's own limit on a cell's text; a longer cell comes from a hostile or broken file, not from Excel. */
export const maxCellLength = 32_767;

export const Severity = { error: 'error', warning: 'warning' } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

/** A line of the import report (`import_row_errors`). */
export interface RowIssue {
  rowNumber: number;
  column: string | null;
  severity: Severity;
  message: string;
}

export interface ProductRow {
  rowNumber: number;
  sku: string;
  title: string | null;
  fields: Record<string, string>;
  /** Valid URLs in position order (position = index + 1), at most `maxImagesPerProduct`. */
  imageUrls: string[];
}

export type RowResult = { kind: 'empty' } | { kind: 'rejected'; issues: RowIssue[] } | { kind: 'product'; product: ProductRow; issues: RowIssue[] };

/**
 * Splits an image cell into URLs. Whitespace and `|` always separate; `;` and `,` separate only where
 * the next URL starts (`http://`, `https://`), because image CDNs put commas in paths (`w_200,h_100`).
 */
export function splitImageCell(value: string): string[] {
  return value
    .split(/[\s|]+|[;,]+\s*(?=https?:\/\/)/i)
    .map((part) => part.replace(/^[;,]+|[;,]+$/g, ''))
    .filter(Boolean);
}

/** The reason `value` cannot be downloaded as an image URL, or undefined when it can. */
export function imageUrlProblem(value: string): string | undefined {
  const shown = JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
  if (!URL.canParse(value)) return `${shown} is not a URL`;
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${shown} is not an http(s) URL`;
  if (url.hostname === '') return `${shown} has no host`;
  return undefined;
}

const cell = (row: SheetRow, column: Column) => row.cells[column.index] ?? '';

/** The first of the row's cells in `columns` longer than `maxCellLength`, as a row error. */
export function overlongCell(row: SheetRow, columns: readonly Column[]): RowIssue | undefined {
  const column = columns.find((c) => cell(row, c).length > maxCellLength);
  if (!column) return undefined;
  const length = cell(row, column).length;
  return {
    rowNumber: row.rowNumber,
    column: column.header,
    severity: Severity.error,
    message: `cell is ${length} characters, over the ${maxCellLength}-character limit (Excel's own); this row is ignored`,
  };
}

/**
 * Checks one row against the plan. A row without a SKU, or with a cell over `maxCellLength`, is rejected; a bad image URL is reported for
 * its cell and the row keeps its other images (they move up, positions stay 1..n); a URL repeated in
 * the row is kept once; past `maxImagesPerProduct` the rest are dropped with a warning.
 * Cells are expected trimmed. Duplicate SKUs across rows are the caller's concern.
 */
export function validateRow(row: SheetRow, plan: ColumnPlan): RowResult {
  const { rowNumber } = row;
  if (row.error !== undefined) return { kind: 'rejected', issues: [{ rowNumber, column: null, severity: Severity.error, message: row.error }] };
  if (row.cells.every((value) => value === '')) return { kind: 'empty' };
  const overlong = overlongCell(row, [plan.sku, ...(plan.title ? [plan.title] : []), ...plan.images, ...plan.fields]);
  if (overlong) return { kind: 'rejected', issues: [overlong] };
  const sku = cell(row, plan.sku);
  if (sku === '') {
    return { kind: 'rejected', issues: [{ rowNumber, column: plan.sku.header, severity: Severity.error, message: 'SKU is empty' }] };
  }

  const issues: RowIssue[] = [];
  const urls: string[] = [];
  let firstDroppedColumn: string | undefined;
  let found = 0;
  for (const column of plan.images) {
    const value = cell(row, column);
    const candidates = splitImageCell(value);
    const problems = candidates.map(imageUrlProblem);
    if (candidates.length > 1 && problems.every(Boolean)) {
      // Words, not a list of URLs ("see website"): one error quoting the cell, not one per word.
      issues.push({ rowNumber, column: column.header, severity: Severity.error, message: `image URL ${imageUrlProblem(value)}` });
      continue;
    }
    for (const [i, candidate] of candidates.entries()) {
      const problem = problems[i];
      if (problem) {
        issues.push({ rowNumber, column: column.header, severity: Severity.error, message: `image URL ${problem}` });
        continue;
      }
      if (urls.includes(candidate)) continue;
      found += 1;
      if (urls.length < maxImagesPerProduct) urls.push(candidate);
      else firstDroppedColumn ??= column.header;
    }
  }
  if (firstDroppedColumn !== undefined) {
    issues.push({
      rowNumber,
      column: firstDroppedColumn,
      severity: Severity.warning,
      message: `${found} images, only the first ${maxImagesPerProduct} are kept`,
    });
  }

  const fields: Record<string, string> = {};
  for (const column of plan.fields) {
    const value = cell(row, column);
    if (value !== '') fields[column.key] = value;
  }
  const title = plan.title ? cell(row, plan.title) || null : null;
  return { kind: 'product', product: { rowNumber, sku, title, fields, imageUrls: urls }, issues };
}
