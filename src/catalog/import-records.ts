import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { ImportStatus, type ColumnMapping, type SupplierFormat } from '../db/schema.ts';
import type { SupplierImportSettings } from './assemble-products.ts';

type Executor = Pick<Db, 'execute'>;

/** A claimed `parsing` import whose transaction is gone (crashed tick) is claimed again after this. */
const staleParsingAfter = '15 minutes';

/** Claims of one import before a transient failure, or a tick dying mid-import, fails it for good. */
export const maxImportAttempts = 3;

/** First key of the supplier's advisory lock (the second is the supplier id): "impt". */
const supplierImportLock = 0x696d7074;

/** The supplier's id, creating the supplier (name = code) on first sight. */
export async function ensureSupplier(db: Executor, code: string): Promise<number> {
  // DO UPDATE rather than DO NOTHING so RETURNING yields the id of an existing row too.
  const { rows } = await db.execute<{ id: number }>(sql`
    INSERT INTO suppliers (code, name) VALUES (${code}, ${code})
    ON CONFLICT (code) DO UPDATE SET code = excluded.code
    RETURNING id`);
  return rows[0]!.id;
}

export interface NewImport {
  supplierId: number;
  sourceKey: string;
  fileName: string;
  /** Null when the file was refused unread. */
  fileHash: string | null;
  fileBytes: number;
  /** A file refused before parsing (too large) is recorded as failed, so discovery does not retry it. */
  error?: string;
}

/** Records an upload; undefined when its source key is already registered. */
export async function insertImport(db: Executor, upload: NewImport): Promise<number | undefined> {
  const status = upload.error === undefined ? ImportStatus.uploaded : ImportStatus.failed;
  const { rows } = await db.execute<{ id: number }>(sql`
    INSERT INTO imports (supplier_id, source_key, file_name, file_hash, file_bytes, status, error, finished_at)
    VALUES (${upload.supplierId}, ${upload.sourceKey}, ${upload.fileName}, ${upload.fileHash}, ${upload.fileBytes},
            ${status}, ${upload.error ?? null}, ${upload.error === undefined ? null : sql`now()`})
    ON CONFLICT (source_key) DO NOTHING
    RETURNING id`);
  return rows[0]?.id;
}

/**
 * The latest done import of the same file for the supplier, if any, and whether it was read with the
 * supplier's current settings: it started after the last change to format, mapping or base URL (an
 * import reads the settings when it starts, so one that began before a change used the old ones).
 */
export async function findDoneImportOfFile(db: Executor, supplierId: number, fileHash: string, exceptId: number) {
  const { rows } = await db.execute<{ id: number; same_settings: boolean }>(sql`
    SELECT i.id, coalesce(i.started_at, i.finished_at) > s.settings_updated_at AS same_settings
      FROM imports i JOIN suppliers s ON s.id = i.supplier_id
     WHERE i.supplier_id = ${supplierId} AND i.file_hash = ${fileHash} AND i.status = ${ImportStatus.done} AND i.id <> ${exceptId}
     ORDER BY i.id DESC LIMIT 1`);
  const row = rows[0];
  return row && { importId: row.id, sameSettings: row.same_settings };
}

/** Source keys among `keys` that already have an imports row. */
export async function registeredSourceKeys(db: Executor, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const { rows } = await db.execute<{ source_key: string }>(sql`
    SELECT source_key FROM imports WHERE source_key = ANY(${sql.param(keys)}::text[])`);
  return new Set(rows.map((row) => row.source_key));
}

export interface ClaimedImport {
  id: number;
  sourceKey: string;
  fileName: string;
}

/**
 * Moves the oldest claimable uploaded import to parsing, counting the attempt, and returns it.
 * SKIP LOCKED makes concurrent ticks take different rows; a parsing row is only locked while its
 * import transaction runs (see `lockImportForParsing`), so one still parsing is skipped and one whose
 * tick died is taken again. An import waits while an older one of its supplier is uploaded or
 * parsing, so a supplier's files land in upload order and the later file's values win.
 * `exceptIds`: imports this tick already tried (a transient failure is retried by the next tick).
 */
export async function claimNextUpload(db: Executor, exceptIds: readonly number[] = []): Promise<ClaimedImport | undefined> {
  const { rows } = await db.execute<{ id: number; source_key: string; file_name: string }>(sql`
    UPDATE imports SET status = ${ImportStatus.parsing}, started_at = now(), attempts = attempts + 1
     WHERE id = (
       SELECT i.id FROM imports i
        WHERE (i.status = ${ImportStatus.uploaded}
               OR (i.status = ${ImportStatus.parsing} AND i.started_at < now() - ${staleParsingAfter}::interval))
          AND i.id <> ALL(${sql.param(exceptIds)}::int[])
          AND NOT EXISTS (
            SELECT 1 FROM imports older
             WHERE older.supplier_id = i.supplier_id AND older.id < i.id
               AND older.status IN (${ImportStatus.uploaded}, ${ImportStatus.parsing}))
        ORDER BY i.id
        FOR UPDATE SKIP LOCKED
        LIMIT 1)
    RETURNING id, source_key, file_name`);
  const row = rows[0];
  return row && { id: row.id, sourceKey: row.source_key, fileName: row.file_name };
}

/**
 * Fails imports left parsing by ticks that died on them `maxImportAttempts` times (a file that
 * crashes or times out the tick every time), so they are not claimed forever. SKIP LOCKED passes
 * over one still being imported by a slow but live tick.
 */
export async function failAbandonedImports(db: Executor): Promise<number> {
  const { rows } = await db.execute(sql`
    UPDATE imports
       SET status = ${ImportStatus.failed}, finished_at = now(),
           error = 'the import was interrupted ' || attempts || ' times (the tick crashed or timed out): split the file or raise the tick''s limits'
     WHERE id IN (
       SELECT id FROM imports
        WHERE status = ${ImportStatus.parsing} AND started_at < now() - ${staleParsingAfter}::interval
          AND attempts >= ${maxImportAttempts}
        FOR UPDATE SKIP LOCKED)
    RETURNING 1`);
  return rows.length;
}

/**
 * Locks the import row for the import transaction and reads how the supplier's files are read. Then waits for
 * the supplier's advisory lock, held until commit: two imports of one supplier (a tick and an
 * upload --now, or two ticks) upsert overlapping SKUs in different orders and would deadlock, or
 * interleave their batches; serialised, each file lands whole.
 */
export async function lockImportForParsing(tx: Executor, importId: number) {
  const { rows } = await tx.execute<{
    supplier_id: number;
    code: string;
    column_mapping: ColumnMapping;
    format: SupplierFormat;
    image_base_url: string | null;
  }>(sql`
    SELECT i.supplier_id, s.code, s.column_mapping, s.format, s.image_base_url
      FROM imports i JOIN suppliers s ON s.id = i.supplier_id
     WHERE i.id = ${importId}
       FOR UPDATE OF i`);
  const row = rows[0];
  if (!row) return undefined;
  // The pool's lock and statement timeouts are sized for workers (see DbTimeouts): waiting for the
  // supplier's previous import is expected, and a product a worker is finishing is worth a longer wait
  // than failing the whole file.
  await tx.execute(sql`SET LOCAL lock_timeout = 0`);
  await tx.execute(sql`SET LOCAL statement_timeout = 0`);
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${supplierImportLock}, ${row.supplier_id})`);
  await tx.execute(sql`SET LOCAL lock_timeout = '30s'`);
  await tx.execute(sql`SET LOCAL statement_timeout TO DEFAULT`);
  const settings: SupplierImportSettings = {
    supplierCode: row.code,
    format: row.format,
    columnMapping: row.column_mapping,
    imageBaseUrl: row.image_base_url,
  };
  return { supplierId: row.supplier_id, settings };
}

export interface ImportCounts {
  /** Non-empty data rows: `rowsImported + rowsFailed + rowsMerged`. */
  rowsTotal: number;
  rowsImported: number;
  rowsFailed: number;
  /** Rows folded into another row's product on purpose (Shopify's further rows of a Handle, Magento's store views). */
  rowsMerged: number;
  warnings: number;
  productsUpserted: number;
  imagesPending: number;
}

/**
 * Why an import that was read to the end made no product, from its counts and its first row error
 * (written by this transaction); undefined when it made at least one.
 */
async function noProductReason(tx: Executor, importId: number, counts: ImportCounts): Promise<string | undefined> {
  if (counts.rowsImported > 0) return undefined;
  if (counts.rowsTotal === 0) return 'no data rows: the file has a header and nothing under it';
  const { rows } = await tx.execute<{ row_number: number; message: string }>(sql`
    SELECT row_number, message FROM import_row_errors
     WHERE import_id = ${importId} AND severity = 'error'
     ORDER BY row_number, id LIMIT 1`);
  const first = rows[0] ? `: first error on row ${rows[0].row_number}: ${rows[0].message}` : '';
  const which = counts.rowsFailed === counts.rowsTotal ? `all ${counts.rowsTotal} rows were rejected` : `none of the ${counts.rowsTotal} rows made a product`;
  return `${which}${first}`;
}

/**
 * Ends an import read to the end, in its transaction: `done`, or `rejected` with the reason when not
 * one row made a product, so an import that wrote nothing never passes for a success.
 */
export async function markImportDone(
  tx: Executor,
  importId: number,
  counts: ImportCounts,
): Promise<{ status: typeof ImportStatus.done | typeof ImportStatus.rejected; error?: string }> {
  const error = await noProductReason(tx, importId, counts);
  const status = error === undefined ? ImportStatus.done : ImportStatus.rejected;
  // clock_timestamp(), not now(): inside the import transaction now() is when the import began.
  await tx.execute(sql`
    UPDATE imports
       SET status = ${status}, error = ${error ?? null}, finished_at = clock_timestamp(), started_at = coalesce(started_at, now()),
           rows_total = ${counts.rowsTotal}, rows_imported = ${counts.rowsImported}, rows_failed = ${counts.rowsFailed},
           rows_merged = ${counts.rowsMerged}, warnings = ${counts.warnings}, products_upserted = ${counts.productsUpserted},
           images_pending = ${counts.imagesPending}
     WHERE id = ${importId}`);
  return error === undefined ? { status } : { status, error };
}

/**
 * After a transient failure (the import transaction, if any, rolled back): back to uploaded for the
 * next tick with the reason noted, or failed once `maxImportAttempts` claims are used up.
 * Returns the status it was left in.
 */
export async function markImportForRetry(db: Executor, importId: number, reason: string) {
  const { rows } = await db.execute<{ status: typeof ImportStatus.uploaded | typeof ImportStatus.failed; error: string }>(sql`
    UPDATE imports
       SET status = CASE WHEN attempts < ${maxImportAttempts} THEN ${ImportStatus.uploaded} ELSE ${ImportStatus.failed} END,
           error = CASE WHEN attempts < ${maxImportAttempts}
                        THEN ${reason}::text || ' (attempt ' || attempts || ' of ' || ${maxImportAttempts}::int || '; retried on the next tick)'
                        ELSE ${reason}::text || ' (gave up after ' || attempts || ' attempts)' END,
           finished_at = CASE WHEN attempts < ${maxImportAttempts} THEN NULL ELSE now() END,
           rows_total = 0, rows_imported = 0, rows_failed = 0, rows_merged = 0, warnings = 0, products_upserted = 0, images_pending = 0
     WHERE id = ${importId}
    RETURNING status, error`);
  return rows[0];
}

/** After the import transaction rolled back: nothing of the file was written, only the reason. */
export async function markImportFailed(db: Executor, importId: number, reason: string): Promise<void> {
  await db.execute(sql`
    UPDATE imports
       SET status = ${ImportStatus.failed}, error = ${reason}, finished_at = now(), started_at = coalesce(started_at, now()),
           rows_total = 0, rows_imported = 0, rows_failed = 0, rows_merged = 0, warnings = 0, products_upserted = 0, images_pending = 0
     WHERE id = ${importId}`);
}
