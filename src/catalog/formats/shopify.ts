import { CatalogError, CatalogErrorKind } from '../errors.ts';
import type { Column } from '../header-mapping.ts';
import { Severity, type SheetRow } from '../row-validation.ts';
import { cellOf, columnNamed, duplicateIssue, ImageList, noColumns, type FormatReaderFactory, type ReaderOutput } from './format-reader.ts';

/**
 * Columns a Shopify product CSV repeats per variant: `Variant …`, the option values, and the
 * per-variant prices (`Cost per item`, `Price / <market>`, `Compare At Price / <market>`, `Included / <market>`).
 */
const variantHeader = /^(?:variant |option\d+ (?:value|linked to)$|cost per item$|(?:price|compare at price|included) \/ )/i;

/** Image columns, and `Image Alt Text`, which describes an image rather than the product. */
const imageHeaders = new Set(['image src', 'image position', 'image alt text', 'variant image']);

/** The field that keeps a product's variants, as a JSON array of `{ header: value }`, one per variant row. */
export const variantsField = 'variants';

interface HandleGroup {
  handle: string;
  rowNumber: number;
  title: string | null;
  fields: Record<string, string>;
  variants: Array<Record<string, string>>;
  images: Array<{ url: string; position: number; rowNumber: number }>;
  variantImages: Array<{ url: string; rowNumber: number }>;
}

/**
 * Shopify's product CSV: a product is the run of rows sharing a `Handle`, and the Handle is its key
 * (a store export may leave `Variant SKU` empty). Title and the product columns come from the run's
 * first row; each row with variant values adds a variant; images are every row's `Image Src` by
 * `Image Position` (rows without one after, in row order), then the `Variant Image`s, each URL once.
 * Rows after the first are merged into the product, never rejected. A Handle that comes back after
 * another Handle is a duplicate: Shopify's own import needs a product's rows together.
 * The supplier's column mapping is not used: the layout is fixed.
 */
export const readShopify: FormatReaderFactory = (columns, settings, output) => {
  const handleColumn = columnNamed(columns, 'Handle');
  if (!handleColumn) {
    throw new CatalogError(
      CatalogErrorKind.noSkuColumn,
      `no "Handle" column, which a Shopify file keys products by; found: ${columns.map((c) => c.header).join(', ')}`,
    );
  }
  const titleColumn = columnNamed(columns, 'Title');
  const imageSrc = columnNamed(columns, 'Image Src');
  const imagePosition = columnNamed(columns, 'Image Position');
  const variantImage = columnNamed(columns, 'Variant Image');
  const variantColumns = columns.filter((c) => variantHeader.test(c.header));
  const productColumns = columns.filter(
    (c) => c !== handleColumn && c !== titleColumn && !variantColumns.includes(c) && !imageHeaders.has(c.header.toLowerCase()),
  );
  const imageColumns = [imageSrc, variantImage].filter((c): c is Column => c !== undefined);

  let group: HandleGroup | undefined;
  /** A Handle seen before whose rows came back: its whole run is rejected. */
  let duplicateHandle: string | undefined;

  const addRow = (into: HandleGroup, row: SheetRow) => {
    const src = cellOf(row, imageSrc);
    if (src !== '') {
      const position = Number.parseInt(cellOf(row, imagePosition), 10);
      into.images.push({ url: src, position: Number.isNaN(position) ? Number.POSITIVE_INFINITY : position, rowNumber: row.rowNumber });
    }
    const variantSrc = cellOf(row, variantImage);
    if (variantSrc !== '') into.variantImages.push({ url: variantSrc, rowNumber: row.rowNumber });
    let variant: Record<string, string> | undefined;
    for (const column of variantColumns) {
      const value = cellOf(row, column);
      if (value !== '') (variant ??= {})[column.header] = value;
    }
    if (variant) into.variants.push(variant);
  };

  const finish = (done: HandleGroup, out: ReaderOutput) => {
    const images = new ImageList();
    // Array#sort is stable: equal or missing positions keep row order.
    for (const image of done.images.sort((a, b) => a.position - b.position)) images.add(image.url, image.rowNumber, imageSrc!.header, out);
    for (const image of done.variantImages) images.add(image.url, image.rowNumber, variantImage!.header, out);
    const fields = done.variants.length > 0 ? { ...done.fields, [variantsField]: JSON.stringify(done.variants) } : done.fields;
    out.product({ rowNumber: done.rowNumber, sku: done.handle, title: done.title, fields, imageUrls: images.finish(done.rowNumber, out) });
  };

  return {
    columns: {
      ...noColumns(),
      sku: [handleColumn],
      title: titleColumn ? [titleColumn] : [],
      images: imageColumns,
      variants: variantColumns,
      fields: productColumns,
    },
    warnings:
      Object.keys(settings.columnMapping).length > 0
        ? [`the supplier's column mapping is not used for a Shopify file: products are keyed by Handle, images are Image Src and Variant Image`]
        : [],
    read(row) {
      const { rowNumber } = row;
      const handle = cellOf(row, handleColumn);
      if (handle === '') {
        output.reject({ rowNumber, column: handleColumn.header, severity: Severity.error, message: 'Handle is empty' });
        return;
      }
      if (group?.handle === handle) {
        addRow(group, row);
        output.merge();
        return;
      }
      if (handle === duplicateHandle) {
        output.reject(duplicateIssue(rowNumber, handleColumn.header, 'Handle', handle, output.firstRowOf(handle)!, "a product's rows must follow each other; "));
        return;
      }
      if (group) finish(group, output);
      group = undefined;
      const firstRow = output.claimKey(handle, rowNumber);
      if (firstRow !== undefined) {
        duplicateHandle = handle;
        output.reject(duplicateIssue(rowNumber, handleColumn.header, 'Handle', handle, firstRow, "a product's rows must follow each other; "));
        return;
      }
      duplicateHandle = undefined;
      const fields: Record<string, string> = {};
      for (const column of productColumns) {
        const value = cellOf(row, column);
        if (value !== '') fields[column.header] = value;
      }
      group = { handle, rowNumber, title: cellOf(row, titleColumn) || null, fields, variants: [], images: [], variantImages: [] };
      addRow(group, row);
    },
    end() {
      if (group) finish(group, output);
      group = undefined;
    },
  };
};
