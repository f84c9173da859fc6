import type { RowError } from './row-errors.ts';

const header = ['row', 'column', 'severity', 'message'] as const;

/**
 * One CSV field, RFC 4180: quoted when it holds a comma, quote, CR or LF, quotes doubled. A value a
 * spreadsheet would run as a formula (= + - @ at the start) gets a leading apostrophe, because these
 * messages quote supplier cells and the report is opened in Excel.
 */
export function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  const safe = typeof value === 'string' && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The import report as CSV (row, column, severity, message), CRLF line ends, header first. */
export function rowErrorsToCsv(errors: readonly RowError[]): string {
  const lines = [header.join(','), ...errors.map((e) => [e.rowNumber, e.column, e.severity, e.message].map(csvField).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
