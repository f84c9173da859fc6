import zlib from 'node:zlib';
import ExcelJS, { type CellValue } from 'exceljs';
import yauzl from 'yauzl';

/** A sheet as rows of cells; the first row is the header. */
export type SheetRows = ReadonlyArray<ReadonlyArray<CellValue>>;

/**
 * A real .xlsx (exceljs writer) with `rows` on the first sheet and, optionally, more sheets after it
 * and merged ranges (`A2:A3`) on the first sheet.
 */
export async function buildXlsx(
  rows: SheetRows,
  options: { extraSheets?: Record<string, SheetRows>; merges?: readonly string[] } = {},
): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Products');
  sheet.addRows(rows.map((row) => [...row]));
  for (const range of options.merges ?? []) sheet.mergeCells(range);
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

/** One zip entry for `buildZip`. */
export interface ZipEntry {
  name: string;
  data: Buffer;
  /** Keep the bytes as they are (method 0) instead of deflating them. */
  store?: boolean;
  /** Write this uncompressed size in both headers instead of the real one: a zip that lies. */
  declaredSize?: number;
}

/**
 * A zip written by hand (zlib's raw deflate plus the local headers, central directory and end
 * record), so tests can build what no well-behaved writer would: bombs, lying sizes, 10,000 entries.
 */
export function buildZip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const body = entry.store ? entry.data : zlib.deflateRawSync(entry.data);
    const fields = (header: Buffer, at: number) => {
      header.writeUInt16LE(20, at); // version needed
      header.writeUInt16LE(0x0800, at + 2); // UTF-8 names
      header.writeUInt16LE(entry.store ? 0 : 8, at + 4);
      header.writeUInt32LE(0, at + 6); // DOS time and date
      header.writeUInt32LE(zlib.crc32(entry.data), at + 10);
      header.writeUInt32LE(body.length, at + 14);
      header.writeUInt32LE(entry.declaredSize ?? entry.data.length, at + 18);
      header.writeUInt16LE(name.length, at + 22);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    fields(local, 4);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    fields(central, 6);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The parts of a real workbook (see `buildXlsx`), to tamper with and zip again with `buildZip`. */
export async function xlsxParts(rows: SheetRows): Promise<ZipEntry[]> {
  const zip = await yauzl.fromBufferPromise(await buildXlsx(rows), { lazyEntries: true });
  const parts: ZipEntry[] = [];
  for await (const entry of zip.eachEntry()) {
    if (entry.fileName.endsWith('/')) continue;
    const chunks: Buffer[] = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    parts.push({ name: entry.fileName, data: Buffer.concat(chunks) });
  }
  return parts;
}
