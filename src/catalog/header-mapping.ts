import type { ColumnMapping } from '../db/schema.ts';
import { CatalogError, CatalogErrorKind } from './errors.ts';

/** One spreadsheet column: its 0-based index and its header as written (or `Column N` when blank). */
export interface Column {
  index: number;
  header: string;
}

/** Which column feeds which product field; every other non-blank column lands in `fields` under `key`. */
export interface ColumnPlan {
  sku: Column;
  title: Column | undefined;
  /** In image order: main image, numbered images by number, then multi-URL cells in sheet order. */
  images: Column[];
  fields: Array<Column & { key: string }>;
}

/**
 * Synonyms in precedence order, compared after `normalizeHeader`. When several columns match,
 * the earliest synonym wins (a file with both `SKU` and `Model` takes `SKU`; `Model` stays a field).
 */
export const skuHeaders = [
  'sku', 'skunumber', 'skuno', 'variantsku', 'itemnumber', 'itemno', 'itemnum', 'itemcode', 'itemid',
  'productcode', 'productsku', 'productnumber', 'productno', 'productid', 'partnumber', 'partno',
  'articlenumber', 'articleno', 'articlecode', 'article', 'model', 'modelnumber', 'modelno', 'stylenumber', 'mpn',
] as const;

export const titleHeaders = [
  'title', 'producttitle', 'productname', 'itemname', 'articlename', 'name', 'shortdescription',
  'description', 'productdescription', 'itemdescription',
] as const;

/** Single main-image columns, placed before numbered and multi-URL columns. */
export const mainImageHeaders = [
  'mainimage', 'mainimageurl', 'mainimagelink', 'primaryimage', 'primaryimageurl', 'featuredimage',
  'image', 'imageurl', 'imagelink', 'imagesrc', 'picture', 'pictureurl', 'photo', 'photourl',
] as const;

/** Columns that usually hold several URLs in one cell. */
export const multiImageHeaders = [
  'images', 'imageurls', 'imagelinks', 'additionalimages', 'additionalimageurls', 'additionalimagelink',
  'additionalimagelinks', 'moreimages', 'otherimages', 'extraimages', 'gallery', 'galleryimages',
  'pictures', 'pictureurls', 'photos', 'photourls',
] as const;

/** `Image 2`, `Image URL 3`, `Picture #4`, `Photo No. 5`, `Image2 Link`. */
const numberedImagePattern = /^(?:image|img|picture|pic|photo)(?:url|link|src)?(?:number|no)?(\d{1,3})(?:url|link|src)?$/;

/** Lower-case, accents and punctuation dropped, `#` read as "number": `Item #` → `itemnumber`. */
export function normalizeHeader(header: string): string {
  return header
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/#/g, 'number')
    .replace(/[^\p{L}\p{N}]/gu, '');
}

/** The header row as columns, a blank header named by its position. */
export function displayHeaders(headers: readonly string[]): Column[] {
  return headers.map((header, index) => ({ index, header: header.trim() || `Column ${index + 1}` }));
}

function bestMatch(columns: readonly Column[], synonyms: readonly string[]): Column | undefined {
  let best: { column: Column; rank: number } | undefined;
  for (const column of columns) {
    const rank = synonyms.indexOf(normalizeHeader(column.header));
    if (rank >= 0 && (!best || rank < best.rank)) best = { column, rank };
  }
  return best?.column;
}

function guessImageColumns(columns: readonly Column[], taken: ReadonlySet<number>): Column[] {
  const main: Array<{ column: Column; rank: number }> = [];
  const numbered: Array<{ column: Column; number: number }> = [];
  const multi: Column[] = [];
  for (const column of columns) {
    if (taken.has(column.index)) continue;
    const normalized = normalizeHeader(column.header);
    const mainRank = (mainImageHeaders as readonly string[]).indexOf(normalized);
    const numberMatch = numberedImagePattern.exec(normalized);
    if (mainRank >= 0) main.push({ column, rank: mainRank });
    else if (numberMatch) numbered.push({ column, number: Number(numberMatch[1]) });
    else if ((multiImageHeaders as readonly string[]).includes(normalized)) multi.push(column);
  }
  // Array#sort is stable: equal ranks or numbers keep sheet order.
  return [
    ...main.sort((a, b) => a.rank - b.rank).map((m) => m.column),
    ...numbered.sort((a, b) => a.number - b.number).map((n) => n.column),
    ...multi,
  ];
}

function mappedColumns(columns: readonly Column[], wanted: string | string[] | undefined): Column[] | undefined {
  if (wanted === undefined) return undefined;
  const names = (Array.isArray(wanted) ? wanted : [wanted]).map(normalizeHeader);
  return names.flatMap((name) => columns.filter((column) => normalizeHeader(column.header) === name));
}

function mappingMismatch(field: string, wanted: string | string[], columns: readonly Column[]): CatalogError {
  return new CatalogError(
    CatalogErrorKind.mappingMismatch,
    `the supplier's column mapping names ${field} column ${JSON.stringify(wanted)}, but the headers are: ${columns.map((c) => c.header).join(', ')}`,
  );
}

/**
 * Decides which column is the SKU, the title and the images, from the header row and the supplier's
 * mapping (which wins over guessing; for `sku`/`title` a list means "the first one present").
 * Throws a CatalogError naming the headers when no SKU column can be found.
 */
export function planColumns(headers: readonly string[], mapping: ColumnMapping = {}): ColumnPlan {
  const columns = displayHeaders(headers);

  const mappedSku = mappedColumns(columns, mapping.sku);
  if (mapping.sku !== undefined && mappedSku?.length === 0) throw mappingMismatch('SKU', mapping.sku, columns);
  const sku = mappedSku?.[0] ?? bestMatch(columns, skuHeaders);
  if (!sku) {
    throw new CatalogError(
      CatalogErrorKind.noSkuColumn,
      `no SKU column: expected a header such as SKU, Item Number, Product Code or Part Number; found: ${columns.map((c) => c.header).join(', ') || '(none)'}`,
    );
  }

  const mappedTitle = mappedColumns(columns, mapping.title);
  if (mapping.title !== undefined && mappedTitle?.length === 0) throw mappingMismatch('title', mapping.title, columns);
  const withoutSku = columns.filter((c) => c.index !== sku.index);
  const title = mappedTitle?.[0] ?? bestMatch(withoutSku, titleHeaders);

  const taken = new Set([sku.index, ...(title ? [title.index] : [])]);
  const mappedImages = mappedColumns(columns, mapping.images);
  if (mapping.images !== undefined && mappedImages?.length === 0) throw mappingMismatch('images', mapping.images, columns);
  const images = (mappedImages ?? guessImageColumns(columns, taken)).filter((c) => !taken.has(c.index));
  for (const image of images) taken.add(image.index);

  const seenKeys = new Map<string, number>();
  const fields = columns
    .filter((c) => !taken.has(c.index))
    .map((column) => {
      const seen = (seenKeys.get(column.header) ?? 0) + 1;
      seenKeys.set(column.header, seen);
      return { ...column, key: seen === 1 ? column.header : `${column.header} (${seen})` };
    });

  return { sku, title, images, fields };
}
