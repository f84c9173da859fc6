import type { Column } from '../header-mapping.ts';
import { Severity, type ProductRow, type RowIssue, type SheetRow } from '../row-validation.ts';
import { cellOf, columnNamed, duplicateIssue, ImageList, noColumns, type FormatReaderFactory } from './format-reader.ts';
import { planPlatformColumns, type PlatformColumns } from './planned-rows.ts';

/** Magento 2's catalog_product import/export columns that matter here; every other column is a field. */
export const magentoColumns: PlatformColumns = {
  platform: 'Magento',
  sku: 'sku',
  title: 'name',
  /** The image roles, then the gallery; each URL is kept once, in this order. */
  images: ['base_image', 'small_image', 'thumbnail_image', 'swatch_image', 'additional_images'],
};

/** Images Magento hides from the product page: paths also listed in additional_images, kept as a field. */
const hiddenImagesHeader = 'hide_from_product_page';

/** What Magento writes for an image role left unset. */
const noSelection = 'no_selection';

const absoluteUrl = /^[a-z][a-z0-9+.-]*:\/\//i;
const trailingSlashes = /\/+$/;
const leadingSlashes = /^\/+/;

/**
 * Magento 2's catalog product CSV. A row with `store_view_code` empty is a product, keyed by `sku`;
 * a row with it set is that product's text in one store view (a translation): when it follows the
 * product's own row its non-empty cells become fields `<column>@<store view>` (`name@de`) and the
 * row counts as merged. Image cells are comma-separated (Magento's multiple-value separator) and
 * may be media paths (`/m/b/mb04-black-0.jpg`), which resolve against the supplier's image base URL
 * (Magento's `…/media/catalog/product`); without one, the row is reported saying how to set it.
 */
export const readMagento: FormatReaderFactory = (columns, settings, output) => {
  const plan = planPlatformColumns(columns, magentoColumns, settings.columnMapping);
  const storeView = columnNamed(columns, 'store_view_code');
  const hidden = columnNamed(columns, hiddenImagesHeader);
  /** Every column a store view row may translate. */
  const translated: Column[] = columns.filter((c) => c.index !== plan.sku.index && c !== storeView);
  const baseUrl = settings.imageBaseUrl?.replace(trailingSlashes, '');

  /** The last product read, held until the next product row so its store views can join it. */
  let pending: ProductRow | undefined;

  const imagesOf = (row: SheetRow): string[] => {
    const images = new ImageList();
    let relative: { column: string; paths: Set<string> } | undefined;
    for (const column of plan.images) {
      const value = cellOf(row, column);
      if (value === '') continue;
      for (const part of value.split(',')) {
        const path = part.trim();
        if (path === '' || path === noSelection) continue;
        if (absoluteUrl.test(path)) images.add(path, row.rowNumber, column.header, output);
        else if (baseUrl !== undefined) images.add(`${baseUrl}/${path.replace(leadingSlashes, '')}`, row.rowNumber, column.header, output);
        else if (relative) relative.paths.add(path);
        else relative = { column: column.header, paths: new Set([path]) };
      }
    }
    if (relative) {
      const [first] = relative.paths;
      output.issue({
        rowNumber: row.rowNumber,
        column: relative.column,
        severity: Severity.error,
        message:
          `image path ${JSON.stringify(first)}${relative.paths.size > 1 ? ` and ${relative.paths.size - 1} more` : ''} ` +
          `cannot be downloaded without the supplier's image base URL: set it with ` +
          `\`supplier set ${settings.supplierCode} --image-base-url URL\` (the shop's …/media/catalog/product address)`,
      });
    }
    return images.finish(row.rowNumber, output);
  };

  const readStoreView = (row: SheetRow, sku: string, code: string) => {
    if (pending?.sku === sku) {
      for (const column of translated) {
        const value = cellOf(row, column);
        if (value !== '') pending.fields[`${column.header}@${code}`] = value;
      }
      output.merge();
      return;
    }
    const firstRow = output.firstRowOf(sku);
    const issue: RowIssue = {
      rowNumber: row.rowNumber,
      column: storeView!.header,
      severity: Severity.error,
      message:
        firstRow === undefined
          ? `store view ${JSON.stringify(code)} of SKU ${JSON.stringify(sku)}, which has no row without store_view_code above it; this row is ignored`
          : `store view ${JSON.stringify(code)} of SKU ${JSON.stringify(sku)} must follow the SKU's own row (row ${firstRow}) to be merged; this row is ignored`,
    };
    output.reject(issue);
  };

  return {
    columns: {
      ...noColumns(),
      sku: [plan.sku],
      title: plan.title ? [plan.title] : [],
      images: plan.images,
      fields: plan.fields,
      notImages: hidden ? [hidden] : [],
    },
    warnings: [],
    read(row) {
      const { rowNumber } = row;
      const sku = cellOf(row, plan.sku);
      if (sku === '') {
        output.reject({ rowNumber, column: plan.sku.header, severity: Severity.error, message: 'SKU is empty' });
        return;
      }
      const code = cellOf(row, storeView);
      if (code !== '') {
        readStoreView(row, sku, code);
        return;
      }
      const firstRow = output.claimKey(sku, rowNumber);
      if (firstRow !== undefined) {
        output.reject(duplicateIssue(rowNumber, plan.sku.header, 'SKU', sku, firstRow));
        return;
      }
      if (pending) output.product(pending);
      const productFields: Record<string, string> = {};
      for (const column of plan.fields) {
        const value = cellOf(row, column);
        if (value !== '') productFields[column.key] = value;
      }
      pending = { rowNumber, sku, title: cellOf(row, plan.title) || null, fields: productFields, imageUrls: imagesOf(row) };
    },
    end() {
      if (pending) output.product(pending);
      pending = undefined;
    },
  };
};
