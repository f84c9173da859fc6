import { SupplierFormat } from '../db/schema.ts';
import { CatalogError, CatalogErrorKind } from './errors.ts';
import { detectPlatform } from './formats/detect-platform.ts';
import type { ColumnUse, PlatformFormat, FormatReaderFactory, ReaderOutput, ReaderSettings } from './formats/format-reader.ts';
import { readGeneric } from './formats/generic.ts';
import { readMagento } from './formats/magento.ts';
import { readPrestaShop } from './formats/prestashop.ts';
import { readShopify } from './formats/shopify.ts';
import { watchUnusedImageColumns } from './formats/unused-image-columns.ts';
import { readWooCommerce } from './formats/woocommerce.ts';
import { displayHeaders } from './header-mapping.ts';
import { maxCellLength, overlongCell, Severity, type ProductRow, type RowIssue, type SheetRow } from './row-validation.ts';

/** How a supplier's files are read: `suppliers.format`, `column_mapping`, `image_base_url`, and its code for messages. */
export interface SupplierImportSettings extends ReaderSettings {
  format: SupplierFormat;
}

/** Where finished products and report lines go, as they are ready. */
export interface ProductSink {
  product(product: ProductRow): void;
  issue(issue: RowIssue): void;
}

/**
 * Rows so far. Once `end` has run, `rowsTotal = products + rowsRejected + rowsMerged`: every
 * non-empty data row became a product, was rejected, or was merged into another row's product
 * (Shopify's further rows of a Handle, Magento's store views).
 */
export interface AssemblerCounts {
  rowsTotal: number;
  products: number;
  rowsRejected: number;
  rowsMerged: number;
}

/** What the file is read as, for an import's report and a dry run's preview. */
export interface AssemblyDescription {
  format: PlatformFormat;
  /** True when the supplier's format is `auto` and the headers decided. */
  detected: boolean;
  /** Product field → the column headers it is read from, in the order used (`fields`: kept as they are). */
  mapping: Record<'sku' | 'title' | 'images' | 'variants' | 'fields', string[]>;
}

export interface ProductAssembler {
  readonly counts: Readonly<AssemblerCounts>;
  describe(): AssemblyDescription;
  /** One row after the header; the products and issues it completes go to the sink. */
  push(row: SheetRow): void;
  /** The file ended: emits the products still being assembled. */
  end(): void;
}

const readers: Record<PlatformFormat, FormatReaderFactory> = {
  [SupplierFormat.generic]: readGeneric,
  [SupplierFormat.shopify]: readShopify,
  [SupplierFormat.woocommerce]: readWooCommerce,
  [SupplierFormat.magento]: readMagento,
  [SupplierFormat.prestashop]: readPrestaShop,
};

const isEmpty = (row: SheetRow) => row.cells.every((value) => value === '');

/**
 * Turns a spreadsheet's rows into products, the way the supplier's format (or, for `auto`, the
 * header row) says: one row per product (generic, WooCommerce, PrestaShop, Magento with its store
 * views merged) or a run of rows per product (Shopify). Emits each product when it is complete, and
 * every report line, to `sink`; keeps only what the format must hold (the current Shopify Handle or
 * Magento product) and the key → first row map that reports duplicates.
 * Throws a CatalogError when the header row cannot be read as the format (no key column, a mapping
 * that names no header, a header cell too long to be a header).
 *
 * @example
 * const assembler = createProductAssembler(headerRow, { format: 'auto', columnMapping: {}, imageBaseUrl: null, supplierCode: 'acme' }, sink);
 * for await (const row of rows) assembler.push(row);
 * assembler.end();
 */
export function createProductAssembler(header: SheetRow, settings: SupplierImportSettings, sink: ProductSink): ProductAssembler {
  if (header.error !== undefined) {
    throw new CatalogError(CatalogErrorKind.noHeader, `the header row (row ${header.rowNumber}) cannot be read: ${header.error}`);
  }
  const longHeader = header.cells.findIndex((value) => value.length > maxCellLength);
  if (longHeader >= 0) {
    throw new CatalogError(
      CatalogErrorKind.noHeader,
      `header cell ${longHeader + 1} on row ${header.rowNumber} is ${header.cells[longHeader]!.length} characters: not a header row`,
    );
  }
  const columns = displayHeaders(header.cells);
  const format: PlatformFormat = settings.format === SupplierFormat.auto ? detectPlatform(header.cells) : settings.format;

  const counts: AssemblerCounts = { rowsTotal: 0, products: 0, rowsRejected: 0, rowsMerged: 0 };
  const firstRowByKey = new Map<string, number>();
  const output: ReaderOutput = {
    product(product) {
      counts.products += 1;
      sink.product(product);
    },
    reject(issue) {
      counts.rowsRejected += 1;
      sink.issue(issue);
    },
    merge() {
      counts.rowsMerged += 1;
    },
    issue: (issue) => sink.issue(issue),
    claimKey(key, rowNumber) {
      const first = firstRowByKey.get(key);
      if (first === undefined) firstRowByKey.set(key, rowNumber);
      return first;
    },
    firstRowOf: (key) => firstRowByKey.get(key),
  };

  const reader = readers[format](columns, settings, output);
  const use: ColumnUse = reader.columns;
  for (const message of reader.warnings) sink.issue({ rowNumber: header.rowNumber, column: null, severity: Severity.warning, message });
  const notWatched = new Set([...use.images, ...use.notImages].map((c) => c.index));
  const watchRow = watchUnusedImageColumns(
    header,
    columns.filter((c) => !notWatched.has(c.index)),
    format === SupplierFormat.shopify ? '' : ` (map it with \`supplier set ${settings.supplierCode} --images HEADER\`)`,
    (issue) => sink.issue(issue),
  );

  return {
    counts,
    describe: () => ({
      format,
      detected: settings.format === SupplierFormat.auto,
      mapping: {
        sku: use.sku.map((c) => c.header),
        title: use.title.map((c) => c.header),
        images: use.images.map((c) => c.header),
        variants: use.variants.map((c) => c.header),
        fields: use.fields.map((c) => c.header),
      },
    }),
    push(row) {
      if (row.error !== undefined) {
        counts.rowsTotal += 1;
        output.reject({ rowNumber: row.rowNumber, column: null, severity: Severity.error, message: row.error });
        return;
      }
      if (isEmpty(row)) return;
      counts.rowsTotal += 1;
      const overlong = overlongCell(row, columns);
      if (overlong) {
        output.reject(overlong);
        return;
      }
      watchRow(row);
      reader.read(row);
    },
    end: () => reader.end(),
  };
}
