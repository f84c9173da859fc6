import { countLineBreaks } from './decode-text.ts';
import { CatalogError, CatalogErrorKind } from './errors.ts';

export const SpreadsheetFormat = { csv: 'csv', xlsx: 'xlsx' } as const;
export type SpreadsheetFormat = (typeof SpreadsheetFormat)[keyof typeof SpreadsheetFormat];

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/** The format a file name suggests; the content has the last word (see `detectFormat`). */
export function formatFromFileName(fileName: string): SpreadsheetFormat {
  return /\.xls[xm]$/i.test(fileName) ? SpreadsheetFormat.xlsx : SpreadsheetFormat.csv;
}

const startsWith = (head: Uint8Array, bytes: readonly number[]) => bytes.every((byte, i) => head[i] === byte);

/**
 * Decides from the first bytes: a zip (`PK\x03\x04`) is xlsx whatever its name; text is csv in UTF-8
 * (or UTF-16 with a BOM, as Excel's "Unicode text" writes it); anything else is refused here, before
 * a parser turns it into nonsense rows.
 */
export function detectFormat(head: Uint8Array, hint: SpreadsheetFormat): { format: SpreadsheetFormat; encoding: TextEncoding } {
  if (head.length === 0) throw new CatalogError(CatalogErrorKind.emptyFile, 'the file is empty');
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return { format: SpreadsheetFormat.xlsx, encoding: 'utf-8' };
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0])) {
    throw new CatalogError(CatalogErrorKind.notASpreadsheet, 'legacy .xls (or other OLE) files are not supported: save it as .xlsx or CSV UTF-8');
  }
  if (hint === SpreadsheetFormat.xlsx) {
    throw new CatalogError(CatalogErrorKind.notASpreadsheet, 'not an xlsx file: it does not start with a zip signature');
  }
  if (startsWith(head, [0xff, 0xfe])) return { format: SpreadsheetFormat.csv, encoding: 'utf-16le' };
  if (startsWith(head, [0xfe, 0xff])) return { format: SpreadsheetFormat.csv, encoding: 'utf-16be' };
  const nul = head.indexOf(0);
  if (nul >= 0) {
    const line = 1 + countLineBreaks(Buffer.from(head.buffer, head.byteOffset, head.byteLength), 0, nul, false);
    throw new CatalogError(CatalogErrorKind.notASpreadsheet, `not a spreadsheet: binary content (a NUL byte at byte ${nul}, line ${line}; expected CSV text or .xlsx)`);
  }
  return { format: SpreadsheetFormat.csv, encoding: 'utf-8' };
}

/**
 * The delimiter of a CSV header line: whichever of comma, semicolon and tab occurs most outside
 * quotes; comma on a tie or when none occurs (a one-column file).
 */
export function sniffDelimiter(headerLine: string): ',' | ';' | '\t' {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const char of headerLine) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === ',' || char === ';' || char === '\t')) counts[char] += 1;
  }
  if (counts[';'] > counts[','] && counts[';'] >= counts['\t']) return ';';
  if (counts['\t'] > counts[','] && counts['\t'] > counts[';']) return '\t';
  return ',';
}

/**
 * Reads from `iterator` until `enough(head)` holds or it ends, and returns what was read plus a
 * generator that replays it and continues: lets us look at a stream's start without buffering it.
 */
export async function peek<T>(
  iterator: AsyncIterator<T>,
  enough: (head: readonly T[]) => boolean,
): Promise<{ head: T[]; all: AsyncGenerator<T> }> {
  const head: T[] = [];
  while (!enough(head)) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
  }
  async function* all() {
    try {
      yield* head;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // Stopping early (an error, too many rows) must release the source, e.g. an S3 socket.
      await iterator.return?.();
    }
  }
  return { head, all: all() };
}
