import type { ColumnMapping } from '../../db/schema.ts';
import { CatalogError, CatalogErrorKind } from '../errors.ts';
import { planColumns, type Column, type ColumnPlan } from '../header-mapping.ts';
import { Severity, validateRow, type SheetRow } from '../row-validation.ts';
import { cellOf, columnNamed, duplicateIssue, noColumns, type FormatReader, type FormatReaderFactory, type ReaderOutput } from './format-reader.ts';

/** A platform's own columns for a one-row-per-product layout; the supplier's mapping wins over them. */
export interface PlatformColumns {
  /** For messages: `WooCommerce`, `PrestaShop`. */
  platform: string;
  sku: string;
  title: string;
  images: readonly string[];
  /** Keys a product whose SKU cell is empty as `id:<value>` (WooCommerce's own way to refer to a product by ID). */
  idFallback?: string;
}

/**
 * The column plan for a platform layout: its SKU, title and image columns unless the supplier's mapping
 * names others. Fails when the SKU column is missing, naming the platform and the headers found.
 */
export function planPlatformColumns(columns: readonly Column[], platform: PlatformColumns, mapping: ColumnMapping): ColumnPlan {
  if (mapping.sku === undefined && !columnNamed(columns, platform.sku)) {
    throw new CatalogError(
      CatalogErrorKind.noSkuColumn,
      `no ${JSON.stringify(platform.sku)} column, which a ${platform.platform} file keys products by; found: ${columns.map((c) => c.header).join(', ')}`,
    );
  }
  const images = platform.images.filter((header) => columnNamed(columns, header));
  return planColumns(
    columns.map((c) => c.header),
    {
      sku: platform.sku,
      ...(columnNamed(columns, platform.title) ? { title: platform.title } : {}),
      ...(images.length > 0 ? { images } : {}),
      ...mapping,
    },
  );
}

/** The reader for a one-row-per-product platform layout (WooCommerce, PrestaShop): its columns planned, then read row by row. */
export function readPlatformRows(platform: PlatformColumns): FormatReaderFactory {
  return (columns, settings, output) =>
    readPlannedRows(planPlatformColumns(columns, platform, settings.columnMapping), columns, output, platform.idFallback);
}

/**
 * One product per row (generic, WooCommerce, PrestaShop): each row is checked by `validateRow`
 * against the plan, and a SKU seen on an earlier row is rejected naming that row.
 * With `idFallback`, a row without SKU but with an ID is keyed `id:<ID>`, and one warning at the
 * end says how many rows were keyed that way.
 */
export function readPlannedRows(plan: ColumnPlan, columns: readonly Column[], output: ReaderOutput, idFallback?: string): FormatReader {
  const idColumn = idFallback === undefined ? undefined : columnNamed(columns, idFallback);
  let keyedById = 0;
  let firstKeyedById = 0;

  const withIdAsSku = (row: SheetRow): SheetRow => {
    const id = cellOf(row, idColumn);
    if (id === '' || cellOf(row, plan.sku) !== '') return row;
    keyedById += 1;
    if (keyedById === 1) firstKeyedById = row.rowNumber;
    const cells = [...row.cells];
    cells[plan.sku.index] = `id:${id}`;
    return { rowNumber: row.rowNumber, cells };
  };

  return {
    columns: { ...noColumns(), sku: [plan.sku], title: plan.title ? [plan.title] : [], images: plan.images, fields: plan.fields },
    warnings: [],
    read(row) {
      const result = validateRow(idColumn ? withIdAsSku(row) : row, plan);
      if (result.kind === 'empty') return;
      if (result.kind === 'rejected') {
        const [first, ...rest] = result.issues;
        output.reject(first!);
        for (const issue of rest) output.issue(issue);
        return;
      }
      const { product } = result;
      const firstRow = output.claimKey(product.sku, row.rowNumber);
      if (firstRow !== undefined) {
        output.reject(duplicateIssue(row.rowNumber, plan.sku.header, 'SKU', product.sku, firstRow));
        return;
      }
      for (const issue of result.issues) output.issue(issue);
      output.product(product);
    },
    end() {
      if (keyedById === 0) return;
      output.issue({
        rowNumber: firstKeyedById,
        column: plan.sku.header,
        severity: Severity.warning,
        message:
          `${plan.sku.header} is empty on ${keyedById} row${keyedById === 1 ? '' : 's'} (the first is this one): ` +
          `keyed by ${idColumn!.header} as "id:<${idColumn!.header}>" instead; give them a ${plan.sku.header} so that files from another store match them`,
      });
    },
  };
}
