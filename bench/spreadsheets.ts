import { createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { buildCsv } from '../test/helpers/spreadsheets.ts';
import { cacheDir } from './corpus.ts';

export type SheetFormat = 'csv' | 'xlsx';

const imagesPerProduct = 10;
const header = ['SKU', 'Product Name', 'Brand', 'Price', 'Description', ...Array.from({ length: imagesPerProduct }, (_, i) => `Image ${i + 1}`)];

/**
 * `reordered`: the same products with each gallery in reverse order, as a supplier that re-sorts its
 * pictures sends it (a re-import that should change links only).
 */
export type SheetVariant = 'plain' | 'reordered';

/** One supplier row: ten image URLs, a description of realistic length. */
function productRow(n: number, variant: SheetVariant = 'plain'): string[] {
  const images = Array.from({ length: imagesPerProduct }, (_, i) => `https://images.supplier.example/p/${n}/${i + 1}.jpg`);
  return [
    `SKU-${String(n).padStart(7, '0')}`,
    `Product ${n} – stainless steel bottle, ${500 + (n % 5) * 250} ml`,
    `Brand ${n % 37}`,
    `${(n % 200) + 4}.${String(n % 100).padStart(2, '0')}`,
    `Keeps drinks cold for 24 hours and hot for 12. Batch ${n % 1000}, colour ${['red', 'blue', 'green', 'black'][n % 4]}.`,
    ...(variant === 'reordered' ? images.reverse() : images),
  ];
}

/**
 * A supplier spreadsheet of `products` rows with ten images each, generated once into bench/cache/sheets.
 * xlsx is written the way Excel writes it (shared strings table), streamed so 100k rows fit in memory.
 */
export async function supplierSheet(products: number, format: SheetFormat, variant: SheetVariant = 'plain'): Promise<string> {
  const dir = join(cacheDir, 'sheets');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `supplier-${products}${variant === 'plain' ? '' : `-${variant}`}.${format}`);
  if (existsSync(path)) return path;
  const partial = `${path}.partial`;
  if (format === 'csv') {
    const out = createWriteStream(partial);
    for (let start = 1; start <= products; start += 1000) {
      const rows = Array.from({ length: Math.min(1000, products - start + 1) }, (_, i) => productRow(start + i, variant));
      if (!out.write(buildCsv(start === 1 ? [header, ...rows] : rows))) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } else {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: partial, useSharedStrings: true });
    const sheet = workbook.addWorksheet('Products');
    sheet.addRow(header).commit();
    for (let n = 1; n <= products; n++) sheet.addRow(productRow(n, variant)).commit();
    sheet.commit();
    await workbook.commit();
  }
  renameSync(partial, path);
  return path;
}
