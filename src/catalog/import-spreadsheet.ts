import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { Readable } from 'node:stream';
import type { Config } from '../config.ts';
import type { AppContext } from '../context.ts';
import type { Db } from '../db/client.ts';
import * as schema from '../db/schema.ts';
import { ImportStatus } from '../db/schema.ts';
import { createProductAssembler, type ProductAssembler, type ProductSink, type SupplierImportSettings } from './assemble-products.ts';
import { detectFormat, peek, SpreadsheetFormat } from './detect-format.ts';
import { CatalogError, CatalogErrorKind } from './errors.ts';
import {
  beginParse,
  lockSupplierImports,
  markImportDone,
  markImportFailed,
  markImportForRetry,
  markImportStaged,
  markMergeProgress,
  readImportToRun,
  readStagedImport,
  unlockSupplierImports,
  type ImportCounts,
} from './import-records.ts';
import { openCheckedXlsx } from './check-xlsx-zip.ts';
import { readCsvRows } from './read-csv.ts';
import { readXlsxRows } from './read-xlsx.ts';
import { Severity, type ProductRow, type RowIssue, type SheetRow } from './row-validation.ts';
import { spoolToTempFile } from './spool-to-file.ts';
import { insertRowIssues, readStagedProducts, stageProducts, writeProductBatch, type BatchTarget } from './write-batch.ts';
import { driverError, isTransientDatabaseError } from '../db/transient-error.ts';

export interface ImportSummary extends ImportCounts {
  importId: number;
  /**
   * `uploaded`: a transient failure while reading; nothing was written and a later tick retries.
   * `merging`: a transient failure while merging; a later tick resumes the merge.
   * `rejected`: read to the end, but no row made a product; only the row report was written.
   */
  status:
    | typeof ImportStatus.done
    | typeof ImportStatus.rejected
    | typeof ImportStatus.failed
    | typeof ImportStatus.uploaded
    | typeof ImportStatus.merging;
  /** Why the whole file was refused (failed), put back (uploaded, merging) or made no product (rejected). */
  error?: string;
  /** Products of the supplier this full-catalog import lacked, now discontinued (done imports only). */
  productsDiscontinued?: number;
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

/**
 * Products per staging insert and per merge transaction: large enough to be set-based and to spread
 * each transaction's fixed cost, small enough for flat memory and for product locks held briefly.
 */
const batchSize = 1000;
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

/** Rows merged before the first statistics refresh (see `mergeStagedProducts`). */
const STATISTICS_REFRESH_ROWS = 5_000;

/**
 * Assembles products from rows as they stream (see `createProductAssembler`) and stages them in
 * batches, with the row report. Only the assembler's key → first row map grows with the file
 * (duplicates are reported naming the first row); everything else is per batch.
 */
async function stageRows(tx: Executor, rows: AsyncIterable<SheetRow>, context: RowsContext): Promise<ImportCounts> {
  const counts = zeroCounts();
  let assembler: ProductAssembler | undefined;
  let withImages = false;
  let products: ProductRow[] = [];
  let issues: RowIssue[] = [];
  const sink: ProductSink = { product: (product) => products.push(product), issue: (issue) => issues.push(issue) };

  const flush = async () => {
    await stageProducts(tx, context.importId, counts.rowsImported + 1, products, withImages);
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
      withImages = assembler.describe().mapping.images.length > 0;
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
  const error = driverError(thrown);
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
 * Merges an import's staged products into the catalog, `batchSize` at a time, each batch in its own
 * short transaction that also records how far the merge got: product locks are held for one batch,
 * not for the whole file, and a crash resumes after the last committed batch. Re-merging a batch
 * changes nothing (the writes compare before they touch a row).
 */
async function mergeStagedProducts(db: Db, importId: number, supplierId: number, onProgress: ImportOptions['onProgress']) {
  let { mergedThrough, counts } = await readStagedImport(db, importId);
  let analyzedAtWrites = 0;
  for (;;) {
    const merged = await db.transaction(async (tx) => {
      // A product a worker is finishing is worth a longer wait than failing the batch (DbTimeouts).
      await tx.execute(sql`SET LOCAL lock_timeout = '30s'`);
      const staged = await readStagedProducts(tx, importId, mergedThrough, batchSize);
      if (staged.products.length === 0) return undefined;
      const target: BatchTarget = { supplierId, importId, replaceImages: staged.withImages };
      const written = await writeProductBatch(tx, target, staged.products);
      await markMergeProgress(tx, importId, staged.lastOrd, written);
      return { through: staged.lastOrd, written };
    });
    if (!merged) return counts;
    mergedThrough = merged.through;
    counts = {
      ...counts,
      productsUpserted: counts.productsUpserted + merged.written.productsUpserted,
      imagesPending: counts.imagesPending + merged.written.imagesPending,
    };
    onProgress?.({ importId, rows: counts.rowsTotal });
    // Autovacuum analyses a growing table only now and then: until it does, per-batch statements can
    // plan for the tables as they were (often empty) and scan them whole. Refreshing statistics each
    // time the rows this import wrote double keeps index plans; a re-import that changes little (a
    // reorder) grows nothing and needs none.
    const writes = counts.productsUpserted + counts.imagesPending;
    if (writes >= STATISTICS_REFRESH_ROWS && writes >= 2 * analyzedAtWrites) {
      await db.execute(sql`ANALYZE products, product_images, image_sources`);
      analyzedAtWrites = writes;
    }
  }
}

/**
 * Runs an import on one connection holding the supplier's import lock: parse (unless a crashed run
 * already staged the file), merge, finish.
 */
async function runImport(db: Db, ctx: AppContext, importId: number, source: Readable, format: SpreadsheetFormat, options: ImportOptions) {
  const found = await readImportToRun(db, importId);
  if (!found) throw new CatalogError(CatalogErrorKind.importNotFound, `import ${importId} does not exist`);
  await lockSupplierImports(db, found.supplierId);
  try {
    // Another run may have finished it while this one waited for the lock.
    const current = await readImportToRun(db, importId);
    if (current?.status !== ImportStatus.merging) {
      await db.transaction(async (tx) => {
        await beginParse(tx, importId);
        const rows = await openRows(source, format, ctx.config.limits);
        const counts = await stageRows(tx, rows, { importId, ...found, maxRows: ctx.config.limits.maxRows, onProgress: options.onProgress });
        await markImportStaged(tx, importId, counts);
      });
    } else {
      source.destroy();
    }
    const counts = await mergeStagedProducts(db, importId, found.supplierId, options.onProgress);
    const outcome = await db.transaction((tx) => markImportDone(tx, importId, counts));
    return { counts, outcome };
  } finally {
    // A lost connection has released the lock already; its error must not hide the one that ended the import.
    await unlockSupplierImports(db, found.supplierId).catch(() => undefined);
  }
}

/**
 * Imports one registered spreadsheet in two steps, so that no transaction holds products while the
 * file streams:
 * 1. Parse: the whole file is read, validated and staged with its row report in one transaction
 *    that locks nothing workers use. A file that fails here (unreadable, no SKU column, too many
 *    rows, a parse error mid-stream) writes nothing: the import is failed with the reason, or put
 *    back to uploaded for a transient failure reading the source (see `recordImportFailure`).
 * 2. Merge: the staged products go into the catalog in short transactions (see
 *    `mergeStagedProducts`); a crash resumes there on a later tick, without reading the file again.
 * Never throws for a bad file; rethrows only when the failure cannot even be recorded. `format` comes
 * from the file name; the file's first bytes overrule it (see `detectFormat`). A `merging` import
 * (claimed again after a crash) resumes its merge and does not read `source`.
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
  // One connection for the whole import: the supplier's lock belongs to it.
  let client: pg.PoolClient | undefined;
  let broken = false;
  try {
    client = await ctx.pool.connect();
    // A connection lost mid-import also emits 'error' on the client; the failing query reports it.
    client.on('error', () => {});
    const { counts, outcome } = await runImport(drizzle(client, { schema }), ctx, importId, source, format, options);
    ctx.log.info('spreadsheet imported', { importId, ...outcome, ...counts });
    return { importId, ...outcome, ...counts };
  } catch (error) {
    broken = true;
    source.destroy();
    client?.release(true);
    client = undefined;
    return recordImportFailure(ctx, importId, error);
  } finally {
    if (!broken) client?.release();
  }
}
