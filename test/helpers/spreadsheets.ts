import ExcelJS, { type CellValue } from 'exceljs';

/** A sheet as rows of cells; the first row is the header. */
export type SheetRows = ReadonlyArray<ReadonlyArray<CellValue>>;

/** A real .xlsx (exceljs writer) with `rows` on the first sheet and, optionally, more sheets after it. */
export async function buildXlsx(rows: SheetRows, options: { extraSheets?: Record<string, SheetRows> } = {}): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.addWorksheet('Products').addRows(rows.map((row) => [...row]));
  for (const [name, extra] of Object.entries(options.extraSheets ?? {})) {
    workbook.addWorksheet(name).addRows(extra.map((row) => [...row]));
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** CSV text with RFC 4180 quoting where needed. */
export function buildCsv(
  rows: ReadonlyArray<ReadonlyArray<string>>,
  options: { delimiter?: ',' | ';' | '\t'; bom?: boolean; newline?: '\n' | '\r\n' } = {},
): string {
  const delimiter = options.delimiter ?? ',';
  const quote = (value: string) =>
    value.includes(delimiter) || /["\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
  const text = rows.map((row) => row.map(quote).join(delimiter)).join(options.newline ?? '\n') + (options.newline ?? '\n');
  return options.bom ? `\uFEFF${text}` : text;
}

/** `count` catalog rows with deterministic SKUs and image URLs under `imageBase`. */
export function catalogRows(count: number, imageBase = 'https://cdn.example.test'): string[][] {
  const rows = [['SKU', 'Product Name', 'Price', 'Image 1', 'Image 2']];
  for (let i = 1; i <= count; i += 1) {
    rows.push([`SKU-${i}`, `Product ${i}`, `${i}.00`, `${imageBase}/${i}-a.jpg`, `${imageBase}/${i}-b.jpg`]);
  }
  return rows;
}
