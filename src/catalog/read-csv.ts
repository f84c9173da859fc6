import { Readable, pipeline } from 'node:stream';
import { parse } from 'csv-parse';
import { sniffDelimiter, peek, type TextEncoding } from './detect-format.ts';
import { CatalogError, CatalogErrorKind } from './errors.ts';
import type { SheetRow } from './row-validation.ts';

/** Strict decoding: a Windows-1252 file must fail loudly, not import "Caf\uFFFD" titles. */
async function* decodeText(chunks: AsyncIterable<Uint8Array>, encoding: TextEncoding): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding, { fatal: true });
  let offset = 0;
  try {
    for await (const chunk of chunks) {
      yield decoder.decode(chunk, { stream: true });
      offset += chunk.length;
    }
    yield decoder.decode();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new CatalogError(
      CatalogErrorKind.encoding,
      `the file is not valid ${encoding.toUpperCase()} text (near byte ${offset}): save it as "CSV UTF-8"`,
      { cause: error },
    );
  }
}

const headLength = 64 * 1024;
/**
 * A record (one row, all its cells) longer than this fails the file: it is a line that never ends,
 * not a row. Room for a few cells at Excel's 32,767-character limit, which are row errors instead.
 */
export const maxRecordLength = 4 * 1024 * 1024;

/**
 * Streams the rows of a CSV file, cells trimmed, numbered as a spreadsheet shows them (a blank line
 * is a row; a quoted cell spanning lines is one). The delimiter is sniffed from the first line.
 */
export async function* readCsvRows(bytes: AsyncIterable<Uint8Array>, encoding: TextEncoding): AsyncGenerator<SheetRow> {
  const { head, all } = await peek(decodeText(bytes, encoding)[Symbol.asyncIterator](), (seen) => {
    const text = seen.join('');
    return /[\r\n]/.test(text) || text.length > headLength;
  });
  const firstLine = head.join('').replace(/^\uFEFF/, '').split(/\r\n|\r|\n/, 1)[0] ?? '';
  const parser = parse({
    delimiter: sniffDelimiter(firstLine),
    bom: true,
    relax_column_count: true,
    // Supplier files write 12" monitor unquoted; only a quote left open at the end is an error.
    relax_quotes: true,
    skip_empty_lines: false,
    max_record_size: maxRecordLength,
  });
  const records: AsyncIterable<string[]> = pipeline(Readable.from(all), parser, () => {});
  let rowNumber = 0;
  try {
    for await (const record of records) {
      rowNumber += 1;
      yield { rowNumber, cells: record.map((value) => value.trim()) };
    }
  } catch (error) {
    if (error instanceof CatalogError) throw error;
    if ((error as { code?: unknown }).code === 'CSV_MAX_RECORD_SIZE') {
      throw new CatalogError(
        CatalogErrorKind.parse,
        `CSV row ${rowNumber + 1} is over ${maxRecordLength} characters: a line that never ends, or a quote left open`,
        { cause: error },
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new CatalogError(CatalogErrorKind.parse, `CSV parse error after row ${rowNumber}: ${message}`, { cause: error });
  } finally {
    parser.destroy();
  }
}
