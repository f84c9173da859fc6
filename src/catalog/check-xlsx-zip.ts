import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { CatalogError, CatalogErrorKind } from './errors.ts';

/** A workbook has a few dozen parts; this is far past any real one and bounds the central directory read. */
export const maxZipEntries = 10_000;
/** Real xlsx parts compress about 15:1 and deflate tops out near 1032:1, so past this a part is padding. */
export const maxCompressionRatio = 200;
/** Small parts (a blank sheet, a theme) may compress better than that, harmlessly. */
const ratioCheckedFrom = 1024 * 1024;

/**
 * The parts exceljs's WorkbookReader reads, ranked in the order it wants them: with the workbook,
 * its relations and the shared strings ahead of the sheets, it streams a sheet instead of spilling
 * it to a temp file (Excel itself writes sharedStrings.xml after the sheets). Undefined: not read.
 */
function readRank(name: string): number | undefined {
  const rank = ['xl/_rels/workbook.xml.rels', 'xl/workbook.xml', 'xl/styles.xml', 'xl/sharedStrings.xml'].indexOf(name);
  if (rank >= 0) return rank;
  return /^xl\/worksheets\/sheet\d+\.xml$/.test(name) ? 4 : undefined;
}

const bomb = (message: string) => new CatalogError(CatalogErrorKind.zipBomb, message);

/** Refuses on the central directory alone: too many entries, too much declared, a part too compressed. */
async function listParts(zip: yauzl.ZipFile, maxBytes: number): Promise<yauzl.Entry[]> {
  if (zip.entryCount > maxZipEntries) throw bomb(`the xlsx has ${zip.entryCount} zip entries, over the limit of ${maxZipEntries}`);
  const parts: yauzl.Entry[] = [];
  let declared = 0;
  for await (const entry of zip.eachEntry()) {
    declared += entry.uncompressedSize;
    if (declared > maxBytes) {
      throw bomb(`the xlsx declares over ${maxBytes} bytes uncompressed, past the limit (XLSX_MAX_UNCOMPRESSED_BYTES)`);
    }
    if (entry.uncompressedSize >= ratioCheckedFrom && entry.uncompressedSize > maxCompressionRatio * entry.compressedSize) {
      const ratio = Math.round(entry.uncompressedSize / Math.max(entry.compressedSize, 1));
      throw bomb(`xlsx part ${entry.fileName} is compressed ${ratio}:1, over the ${maxCompressionRatio}:1 limit`);
    }
    if (readRank(entry.fileName) !== undefined) parts.push(entry);
  }
  return parts.sort((a, b) => readRank(a.fileName)! - readRank(b.fileName)!);
}

/**
 * Inflates every part exceljs will read and throws away the bytes, counting them: declared sizes can
 * lie, and yauzl (validateEntrySizes) stops a part the moment it inflates past its declared size.
 * Done before exceljs sees a byte, because exceljs pipes its input into unzipper, which does not
 * pass a source error on: a stream failing halfway through a part would leave the import hanging.
 */
async function inflateAndCount(zip: yauzl.ZipFile, parts: readonly yauzl.Entry[], maxBytes: number): Promise<void> {
  let inflated = 0;
  for (const part of parts) {
    try {
      for await (const chunk of await zip.openReadStreamPromise(part)) {
        inflated += (chunk as Buffer).length;
        if (inflated > maxBytes) throw bomb(`the xlsx inflates to over ${maxBytes} bytes, past the limit (XLSX_MAX_UNCOMPRESSED_BYTES)`);
      }
    } catch (error) {
      if (error instanceof CatalogError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (/too many bytes/.test(message)) {
        throw bomb(`xlsx part ${part.fileName} inflates past its declared ${part.uncompressedSize} bytes: its sizes lie`);
      }
      throw new CatalogError(CatalogErrorKind.notASpreadsheet, `xlsx part ${part.fileName} is corrupt: ${message}`, { cause: error });
    }
  }
}

/**
 * The checked parts as a new zip stream, each stored (not compressed) under a local header written
 * from the central directory: exceljs reads exactly the bytes that were counted, never a hidden local
 * entry the central directory does not list. Sizes stay under 4 GiB (the limit's ceiling): no zip64.
 */
async function* storedZip(zip: yauzl.ZipFile, parts: readonly yauzl.Entry[]): AsyncGenerator<Buffer> {
  for (const part of parts) {
    const name = Buffer.from(part.fileName, 'utf8');
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(10, 4); // version needed: 1.0, stored
    header.writeUInt16LE(0x0800, 6); // UTF-8 name
    header.writeUInt16LE(0, 8); // stored
    header.writeUInt16LE(part.lastModFileTime, 10);
    header.writeUInt16LE(part.lastModFileDate, 12);
    header.writeUInt32LE(part.crc32, 14);
    header.writeUInt32LE(part.uncompressedSize, 18);
    header.writeUInt32LE(part.uncompressedSize, 22);
    header.writeUInt16LE(name.length, 26);
    yield Buffer.concat([header, name]);
    for await (const chunk of await zip.openReadStreamPromise(part)) yield chunk as Buffer;
  }
  // An end-of-central-directory record with no entries: unzipper's streaming parser stops on it.
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  yield end;
}

/**
 * Opens an xlsx spooled to `path` for exceljs, or refuses it as a zip bomb: more than
 * `maxZipEntries` entries, a declared total over `maxUncompressedBytes`, a part compressed more than
 * `maxCompressionRatio`:1, or parts that inflate to more than declared or than the limit.
 * Only the parts exceljs reads are inflated (images, themes and the like are skipped).
 */
export async function openCheckedXlsx(path: string, maxUncompressedBytes: number): Promise<Readable> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CatalogError(CatalogErrorKind.notASpreadsheet, `not a readable xlsx (zip) file: ${message}`, { cause: error });
  }
  try {
    const parts = await listParts(zip, maxUncompressedBytes);
    await inflateAndCount(zip, parts, maxUncompressedBytes);
    // 'close' comes after the end and after a destroy, even one before the first read.
    return Readable.from(storedZip(zip, parts), { objectMode: false }).once('close', () => zip.close());
  } catch (error) {
    zip.close();
    if (error instanceof CatalogError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new CatalogError(CatalogErrorKind.notASpreadsheet, `not a readable xlsx (zip) file: ${message}`, { cause: error });
  }
}
