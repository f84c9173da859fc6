import type { ColumnMapping, SupplierFormat } from '../../db/schema.ts';
import type { Column } from '../header-mapping.ts';
import { imageUrlProblem, maxImagesPerProduct, Severity, type ProductRow, type RowIssue, type SheetRow } from '../row-validation.ts';

/** The layouts a file can be read as: a supplier's format other than `auto`, which picks one from the headers. */
export type PlatformFormat = Exclude<SupplierFormat, typeof SupplierFormat.auto>;

/** What a format reader needs of the supplier besides the header row. */
export interface ReaderSettings {
  supplierCode: string;
  columnMapping: ColumnMapping;
  imageBaseUrl: string | null;
}

/**
 * Where a reader sends each row's fate. Every non-empty row ends exactly one way: in a product
 * (`product`, for the product's first row), rejected (`reject`) or folded into another row's
 * product (`merge`), which is what keeps "rows = products + rejected + merged" true.
 */
export interface ReaderOutput {
  product(product: ProductRow): void;
  reject(issue: RowIssue): void;
  merge(): void;
  /** A report line that does not decide a row's fate (a bad image URL, a warning). */
  issue(issue: RowIssue): void;
  /** The row that first used `key` in this file, or undefined after recording `rowNumber` as its first. */
  claimKey(key: string, rowNumber: number): number | undefined;
  /** The row that first used `key` in this file, if any. */
  firstRowOf(key: string): number | undefined;
}

/** Which columns feed what, in the order they are used. */
export interface ColumnUse {
  sku: Column[];
  title: Column[];
  images: Column[];
  /** Per-variant columns kept as the product's `variants` (Shopify). */
  variants: Column[];
  fields: Column[];
  /** Columns that hold image paths but are deliberately not the product's images (Magento's hidden images). */
  notImages: Column[];
}

export interface FormatReader {
  readonly columns: ColumnUse;
  /** File-level warnings known from the headers alone. */
  readonly warnings: readonly string[];
  read(row: SheetRow): void;
  /** The file ended: emit what is still held (Shopify's last handle, Magento's last product). */
  end(): void;
}

export type FormatReaderFactory = (columns: readonly Column[], settings: ReaderSettings, output: ReaderOutput) => FormatReader;

export const cellOf = (row: SheetRow, column: Column | undefined): string => (column ? (row.cells[column.index] ?? '') : '');

/** The column headed exactly `header` (case and surrounding spaces ignored), as platforms write their headers. */
export function columnNamed(columns: readonly Column[], header: string): Column | undefined {
  const wanted = header.toLowerCase();
  return columns.find((column) => column.header.toLowerCase() === wanted);
}

export function duplicateIssue(rowNumber: number, column: string, what: string, key: string, firstRow: number, why = ''): RowIssue {
  return {
    rowNumber,
    column,
    severity: Severity.error,
    message: `duplicate ${what} ${JSON.stringify(key)}: first on row ${firstRow}; ${why}this row is ignored`,
  };
}

/**
 * One product's image URLs as they are found: a bad URL is reported on its own row and column and
 * skipped, a repeated URL is kept once, and past `maxImagesPerProduct` the rest are dropped with a
 * warning on the product's row.
 */
export class ImageList {
  readonly urls: string[] = [];
  private found = 0;
  private firstDroppedColumn: string | undefined;

  /** Adds `url` unless it is invalid (reported to `output`) or already in the list. */
  add(url: string, rowNumber: number, column: string, output: ReaderOutput): void {
    const problem = imageUrlProblem(url);
    if (problem) {
      output.issue({ rowNumber, column, severity: Severity.error, message: `image URL ${problem}` });
      return;
    }
    if (this.urls.includes(url)) return;
    this.found += 1;
    if (this.urls.length < maxImagesPerProduct) this.urls.push(url);
    else this.firstDroppedColumn ??= column;
  }

  /** Reports dropped images (if any) on `rowNumber` and returns the kept URLs. */
  finish(rowNumber: number, output: ReaderOutput): string[] {
    if (this.firstDroppedColumn !== undefined) {
      output.issue({
        rowNumber,
        column: this.firstDroppedColumn,
        severity: Severity.warning,
        message: `${this.found} images, only the first ${maxImagesPerProduct} are kept`,
      });
    }
    return this.urls;
  }
}

export const noColumns = (): ColumnUse => ({ sku: [], title: [], images: [], variants: [], fields: [], notImages: [] });
