import { Readable, pipeline } from 'node:stream';
import { parse, type Info } from 'csv-parse';
import { decodeText, type FilePosition } from './decode-text.ts';
import { sniffDelimiter, peek, type TextEncoding } from './detect-format.ts';
import { CatalogError, CatalogErrorKind } from './errors.ts';
import type { SheetRow } from './row-validation.ts';

const headLength = 64 * 1024;
/**
 * A record (one row, all its cells) longer than this fails the file: it is a line that never ends,
 * not a row. Room for a few cells at Excel's 32,767-character limit, which are row errors instead.
 */
export const maxRecordLength = 4 * 1024 * 1024;

const lineBreak = /\r\n|\r|\n/g;
const lineBreaksIn = (cells: readonly string[]) => cells.reduce((count, cell) => count + (cell.match(lineBreak)?.length ?? 0), 0);
const countNuls = (cell: string) => cell.split('\0').length - 1;
const blank = (cells: readonly string[]) => cells.every((value) => value === '');

/** Why a row of `cells` cannot be matched to the header's columns, if it cannot (a blank row can). */
function columnCountProblem(cells: readonly string[], header: readonly string[], delimiter: string): string | undefined {
  if (cells.length === header.length || blank(cells)) return undefined;
  const guess = cells.length > header.length ? `a ${JSON.stringify(delimiter)} inside a cell that is not quoted?` : 'cells missing at the end of the line?';
  return `${cells.length} cells where the header has ${header.length} (${guess}): the cells cannot be matched to columns; this row is ignored`;
}

/**
 * Streams the rows of a CSV file, cells trimmed, numbered as a spreadsheet shows them (a blank line
 * is a row; a quoted cell spanning lines is one). The delimiter is sniffed from the first line; CRLF,
 * LF and CR all end a row, however they are mixed. A row that cannot be read faithfully carries an
 * `error` naming its file line (when not the row number) or the byte: more or fewer cells than the
 * header, or a NUL. A NUL in the header row, or a byte that is not text, fails the file.
 */
export async function* readCsvRows(bytes: AsyncIterable<Uint8Array>, encoding: TextEncoding): AsyncGenerator<SheetRow> {
  const text = decodeText(bytes, encoding);
  const { head, all } = await peek(text.chunks[Symbol.asyncIterator](), (seen) =>
    seen.some((chunk) => chunk.includes(10) || chunk.includes(13)) || seen.reduce((length, chunk) => length + chunk.length, 0) > headLength,
  );
  const firstLine = Buffer.concat(head).toString('utf8').replace(/^\uFEFF/, '').split(/\r\n|\r|\n/, 1)[0] ?? '';
  const delimiter = sniffDelimiter(firstLine);
  const parser = parse({
    delimiter,
    // Left to itself csv-parse takes the first line's ending for every row: a CRLF header over LF
    // rows then reads the whole file as one row. Order matters: CRLF before CR.
    record_delimiter: ['\r\n', '\n', '\r'],
    bom: true,
    relax_column_count: true,
    // Supplier files write 12" monitor unquoted; only a quote left open at the end is an error.
    relax_quotes: true,
    skip_empty_lines: false,
    max_record_size: maxRecordLength,
    // `info.lines` tells a record spanning lines (a quoted cell with line breaks) from one that does not.
    info: true,
  });
  const records: AsyncIterable<{ record: string[]; info: Info }> = pipeline(Readable.from(all), parser, () => {});
  let rowNumber = 0;
  /** The file line the next record starts on, and csv-parse's line count at the last record. */
  let line = 1;
  let parserLines = 0;
  let header: readonly string[] | undefined;
  try {
    for await (const { record, info } of records) {
      rowNumber += 1;
      const row: SheetRow = { rowNumber, cells: record.map((value) => value.trim()) };
      const startLine = line;
      // csv-parse counts a CRLF inside a quoted cell as two lines, so a multi-line record is counted here.
      line += info.lines - parserLines > 1 ? lineBreaksIn(record) + 1 : 1;
      parserLines = info.lines;

      const nulCell = text.nuls.length > 0 ? record.findIndex((cell) => cell.includes('\0')) : -1;
      const nul: FilePosition | undefined = nulCell < 0 ? undefined : text.nuls.splice(0, record.reduce((n, cell) => n + countNuls(cell), 0))[0];
      if (!header) {
        if (nul) throw new CatalogError(CatalogErrorKind.notASpreadsheet, `a NUL byte at byte ${nul.offset} (line ${nul.line}) in the header row: binary or damaged data`);
        if (!blank(row.cells)) header = row.cells;
        yield row;
        continue;
      }
      const shifted = columnCountProblem(row.cells, header, delimiter);
      const error = nul
        ? `a NUL byte at byte ${nul.offset} (line ${nul.line}) in column ${JSON.stringify(header[nulCell] ?? `#${nulCell + 1}`)}: binary or damaged data; this row is ignored`
        : shifted && (startLine === rowNumber ? shifted : `file line ${startLine}: ${shifted}`);
      yield error === undefined ? row : { ...row, error };
    }
  } catch (error) {
    if (error instanceof CatalogError) throw error;
    if ((error as { code?: unknown }).code === 'CSV_MAX_RECORD_SIZE') {
      throw new CatalogError(
        CatalogErrorKind.parse,
        `CSV row ${rowNumber + 1}${line === rowNumber + 1 ? '' : ` (from file line ${line})`} is over ${maxRecordLength} characters: a line that never ends, or a quote left open`,
        { cause: error },
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new CatalogError(CatalogErrorKind.parse, `CSV parse error after row ${rowNumber}, in the row from file line ${line}: ${message}`, { cause: error });
  } finally {
    parser.destroy();
  }
}
