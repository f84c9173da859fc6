import type { Readable } from 'node:stream';
import type { AppContext } from '../context.ts';
import { ImportStatus } from '../db/schema.ts';
import { detectFormat, peek, SpreadsheetFormat } from './detect-format.ts';
import { CatalogError, CatalogErrorKind } from './errors.ts';
import { planColumns, type ColumnPlan } from './header-mapping.ts';
import { lockImportForParsing, markImportDone, markImportFailed, type ImportCounts } from './import-records.ts';
import { readCsvRows } from './read-csv.ts';
import { readXlsxRows } from './read-xlsx.ts';
import { Severity, validateRow, type ProductRow, type RowIssue, type SheetRow } from './row-validation.ts';
import { insertRowIssues, writeProductBatch, type BatchTarget } from './write-batch.ts';

export interface ImportSummary extends ImportCounts {
  importId: number;
  status: typeof ImportStatus.done | typeof ImportStatus.failed;
  /** Why the whole file was refused (status failed). */
  error?: string;
}

export interface ImportProgress {
  importId: number;
  /** Non-empty data rows read so far. */
  rows: number;
}

export interface ImportOptions {
  onProgress?: (progress: ImportProgress) => void;
}

const batchSize = 500;

const zeroCounts = (): ImportCounts => ({
  rowsTotal: 0,
  rowsImported: 0,
  rowsFailed: 0,
  warnings: 0,
  productsUpserted: 0,
  imagesPending: 0,
});

async function openRows(source: Readable, hint: SpreadsheetFormat): Promise<AsyncGenerator<SheetRow>> {
  // 8 bytes tell zip, OLE and BOMs apart; the NUL check for binary files wants a little more.
  const { head, all } = await peek<Buffer>(source[Symbol.asyncIterator](), (seen) => seen.reduce((n, b) => n + b.length, 0) >= 4096);
  const { format, encoding } = detectFormat(Buffer.concat(head).subarray(0, 4096), hint);
  return format === SpreadsheetFormat.xlsx ? readXlsxRows(streamFrom(all)) : readCsvRows(all, encoding);
}

async function streamFromImport() {
  return (await import('node:stream')).Readable;
}

function streamFrom(chunks: AsyncGenerator<Buffer>): Readable {
  return ReadableFrom(chunks);
}
