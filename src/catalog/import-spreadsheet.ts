import { sql } from 'drizzle-orm';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { Readable } from 'node:stream';
import type { Config } from '../config.ts';
import type { AppContext } from '../context.ts';
import type { Db } from '../db/client.ts';
import { ImportStatus } from '../db/schema.ts';
import { createProductAssembler, type ProductAssembler, type ProductSink, type SupplierImportSettings } from './assemble-products.ts';
import { detectFormat, peek, SpreadsheetFormat } from './detect-format.ts';
import { CatalogError, CatalogErrorKind } from './errors.ts';
import { lockImportForParsing, markImportDone, markImportFailed, markImportForRetry, type ImportCounts } from './import-records.ts';
import { openCheckedXlsx } from './check-xlsx-zip.ts';
import { readCsvRows } from './read-csv.ts';
import { readXlsxRows } from './read-xlsx.ts';
import { Severity, type ProductRow, type RowIssue, type SheetRow } from './row-validation.ts';
import { spoolToTempFile } from './spool-to-file.ts';
import { insertRowIssues, writeProductBatch, type BatchTarget } from './write-batch.ts';
import { isTransientDatabaseError } from '../db/transient-error.ts';

export interface ImportSummary extends ImportCounts {
  importId: number;
  /**
   * `uploaded`: a transient failure (reading the object); nothing was written and a later tick retries.
   * `rejected`: read to the end, but no row made a product; only the row report was written.
   */
  status: typeof ImportStatus.done | typeof ImportStatus.rejected | typeof ImportStatus.failed | typeof ImportStatus.uploaded;
  /** Why the whole file was refused (failed), put back (uploaded) or made no product (rejected). */
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

type Executor = Pick<Db, 'execute'>;

/** Rows per products/images statement: large enough to be set-based, small enough for flat memory. */
const batchSize = 500;
const headBytes = 4096;

const zeroCounts = (): ImportCounts => ({
  rowsTotal: 0,
  rowsImported: 0,
  rowsFailed: 0,
  rowsMerged: 0,
  warnings: 0,
  productsUpserted: 0,
  imagesPending: 0,
});

/**
 * An xlsx is spooled to a temp file first: the zip's central directory, which says what the file
 * inflates to, is at its end. The file is checked (see `openCheckedXlsx`) and removed afterwards.
 */
async function* xlsxRows(bytes: AsyncIterable<Buffer>, limits: Config['limits']): AsyncGenerator<SheetRow> {
  const spooled = await spoolToTempFile(bytes, limits.maxUploadBytes);
  try {
    yield* readXlsxRows(await openCheckedXlsx(spooled.path, limits.xlsxMaxUncompressedBytes));
  } finally {
    await spooled.remove();
  }
}

/** The file's rows, csv or xlsx as its first bytes say (`hint` from the name); shared with the dry run. */
export async function openRows(source: Readable, hint: SpreadsheetFormat, limits: Config['limits']): Promise<AsyncGenerator<SheetRow>> {
  const { head, all } = await peek<Buffer>(
    source[Symbol.asyncIterator](),
    (seen) => seen.reduce((length, chunk) => length + chunk.length, 0) >= headBytes,
  );
  const { format, encoding } = detectFormat(Buffer.concat(head).subarray(0, headBytes), hint);
  return format === SpreadsheetFormat.xlsx ? xlsxRows(all, limits) : readCsvRows(all, encoding);
}

interface RowsContext {
  importId: number;
  supplierId: number;
  settings: SupplierImportSettings;
  maxRows: number;
  onProgress: ImportOptions['onProgress'];
}

/** Rows written before the first statistics refresh (see `flush`). */
const STATISTICS_REFRESH_ROWS = 5_000;

/**
 * Assembles products from rows as they stream (see `createProductAssembler`) and writes them in
 * batches. Only the assembler's key → first row map grows with the file (duplicates are reported
 * naming the first row); everything else is per batch.
 */
async function importRows(tx: Executor, rows: AsyncIterable<SheetRow>, context: RowsContext): Promise<ImportCounts> {
  const counts = zeroCounts();
  let assembler: ProductAssembler | undefined;
  let target: BatchTarget | undefined;
  let products: ProductRow[] = [];
  let issues: RowIssue[] = [];
  const sink: ProductSink = { product: (product) => products.push(product), issue: (issue) => issues.push(issue) };

  let analyzedAtRows = 0;
  const flush = async () => {
    if (target) {
      const written = await writeProductBatch(tx, target, products);
      counts.productsUpserted += written.productsUpserted;
      counts.imagesPending += written.imagesPending;
    }
    // The tables grow inside this transaction while the planner still sees them as they were (often
    // empty): per-batch statements then scan whole tables and a 10× bigger file costs 20–40× the time.
    // Refreshing statistics each time the import doubles keeps index plans; ANALYZE counts this
    // transaction's own rows. Its lock, held to commit, blocks only other ANALYZE/VACUUM runs (so a
    // concurrent import of another supplier waits at its own first ANALYZE), not reads or writes.
    const written = counts.rowsImported + products.length;
    if (written >= STATISTICS_REFRESH_ROWS && written >= 2 * analyzedAtRows) {
      await tx.execute(sql`ANALYZE products, product_images`);
      analyzedAtRows = written;
    }
    await insertRowIssues(tx, context.importId, issues);
    counts.rowsImported += products.length;
    counts.warnings += issues.filter((issue) => issue.severity === Severity.warning).length;
    products = [];
    issues = [];
    context.onProgress?.({ importId: context.importId, rows: counts.rowsTotal });
  };

  for await (const row of rows) {
    if (!assembler) {
      if (row.error === undefined && row.cells.every((value) => value === '')) continue;
      assembler = createProductAssembler(row, context.settings, sink);
      target = { supplierId: context.supplierId, importId: context.importId, replaceImages: assembler.describe().mapping.images.length > 0 };
      continue;
    }
    assembler.push(row);
    counts.rowsTotal = assembler.counts.rowsTotal;
    if (counts.rowsTotal > context.maxRows) {
      throw new CatalogError(CatalogErrorKind.tooManyRows, `more than ${context.maxRows} rows (MAX_ROWS): split the file`);
    }
    if (products.length >= batchSize || issues.length >= batchSize) await flush();
  }
  if (!assembler) throw new CatalogError(CatalogErrorKind.noHeader, 'no header row: the file has no non-empty row');
  assembler.end();
  counts.rowsFailed = assembler.counts.rowsRejected;
  counts.rowsMerged = assembler.counts.rowsMerged;
  await flush();
  return counts;
}

/** `imports.error` is one line of text that Postgres accepts (no NUL) and a person reads to the end. */
function storableReason(message: string): string {
  const line = message.split('\n', 1)[0]!.replaceAll('\0', '\\0');
  return line.length > 1000 ? `${line.slice(0, 1000)}…` : line;
}

/**
 * Records why an import did not happen (its transaction, if any, rolled back): a transient error
 * (reading the object, or the database) puts it back to uploaded until its attempts run out;
 * anything else fails it.
 * Rethrows only when even that cannot be written.
 */
export async function recordImportFailure(ctx: AppContext, importId: number, thrown: unknown): Promise<ImportSummary> {
  // drizzle wraps the driver's error in one quoting the statement and all its parameters (whole rows
  // of the file): the driver's own error says why, and carries the SQLSTATE.
  const error = thrown instanceof DrizzleQueryError && thrown.cause ? thrown.cause : thrown;
  const reason = storableReason(error instanceof CatalogError ? error.message : `import failed: ${error instanceof Error ? error.message : String(error)}`);
  const kind = error instanceof CatalogError ? error.kind : 'unexpected';
  // A deadlock, failover or lost connection says nothing about the file: try it again next tick.
  if ((error instanceof CatalogError && error.transient) || isTransientDatabaseError(error)) {
    const retry = await markImportForRetry(ctx.db, importId, reason);
    ctx.log.warn('spreadsheet import interrupted', { importId, kind, status: retry?.status, error: retry?.error });
    return { importId, status: retry?.status ?? ImportStatus.failed, ...zeroCounts(), error: retry?.error ?? reason };
  }
  await markImportFailed(ctx.db, importId, reason);
  ctx.log.warn('spreadsheet import failed', { importId, kind, error: reason });
  return { importId, status: ImportStatus.failed, ...zeroCounts(), error: reason };
}

/**
 * Imports one registered spreadsheet in one transaction: every valid row and the row report are
 * written and the import is done, or (unreadable file, no SKU column, too many rows, parse error
 * mid-stream) nothing is written and the import is failed with the reason; a transient failure to
 * read the source puts it back to uploaded instead (see `recordImportFailure`). Never throws for a
 * bad file; rethrows only when the failure cannot even be recorded.
 * `format` comes from the file name; the file's first bytes overrule it (see `detectFormat`).
 *
 * @example
 * const summary = await importSpreadsheet(ctx, importId, createReadStream('acme.xlsx'), 'xlsx');
 */
export async function importSpreadsheet(
  ctx: AppContext,
  importId: number,
  source: Readable,
  format: SpreadsheetFormat,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  try {
    const { counts, outcome } = await ctx.db.transaction(async (tx) => {
      const locked = await lockImportForParsing(tx, importId);
      if (!locked) throw new CatalogError(CatalogErrorKind.importNotFound, `import ${importId} does not exist`);
      const rows = await openRows(source, format, ctx.config.limits);
      const result = await importRows(tx, rows, {
        importId,
        ...locked,
        maxRows: ctx.config.limits.maxRows,
        onProgress: options.onProgress,
      });
      return { counts: result, outcome: await markImportDone(tx, importId, result) };
    });
    ctx.log.info('spreadsheet imported', { importId, ...outcome, ...counts });
    return { importId, ...outcome, ...counts };
  } catch (error) {
    source.destroy();
    return recordImportFailure(ctx, importId, error);
  }
}
