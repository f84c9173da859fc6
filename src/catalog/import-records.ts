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
  /** Registered before its object is written (`receiving`), or found already stored (the default). */
  receiving?: boolean;
  /** The supplier's whole catalog (a full-catalog feed): what it lacks is discontinued when it is done. */
  fullCatalog?: boolean;
}

/** Records an upload; undefined when its source key is already registered. */
export async function insertImport(db: Executor, upload: NewImport): Promise<number | undefined> {
  const status = upload.error !== undefined ? ImportStatus.failed : upload.receiving ? ImportStatus.receiving : ImportStatus.uploaded;
  const { rows } = await db.execute<{ id: number }>(sql`
    INSERT INTO imports (supplier_id, source_key, file_name, file_hash, file_bytes, status, error, finished_at, full_catalog)
    VALUES (${upload.supplierId}, ${upload.sourceKey}, ${upload.fileName}, ${upload.fileHash}, ${upload.fileBytes},
            ${status}, ${upload.error ?? null}, ${upload.error === undefined ? null : sql`now()`}, ${upload.fullCatalog ?? false})
    ON CONFLICT (source_key) DO NOTHING
    RETURNING id`);
  return rows[0]?.id;
}

/** The object of a `receiving` import is stored: the next tick may take it. */
export async function markImportReceived(db: Executor, importId: number): Promise<void> {
  await db.execute(sql`UPDATE imports SET status = ${ImportStatus.uploaded} WHERE id = ${importId} AND status = ${ImportStatus.receiving}`);
}

/**
 * `receiving` imports among `keys` (objects the bucket lists, so stored) whose uploader went away
 * before saying so: uploaded now, for this tick to take.
 */
export async function markStaleReceivedImports(db: Executor, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const { rows } = await db.execute(sql`
    UPDATE imports SET status = ${ImportStatus.uploaded}
     WHERE source_key = ANY(${sql.param(keys)}::text[]) AND status = ${ImportStatus.receiving}
       AND created_at < now() - ${staleParsingAfter}::interval
    RETURNING 1`);
  return rows.length;
}

/**
 * The latest done import of the same file for the supplier, if any, and whether it was read with the
 * supplier's current settings: it read the file after the last change to format, mapping or base URL
 * (`read_at`; imports from before that column by when they started). A merge resumed after a crash
 * starts again but reads nothing: its rows were read with the settings of `read_at`.
 */
export async function findDoneImportOfFile(db: Executor, supplierId: number, fileHash: string, exceptId: number) {
  const { rows } = await db.execute<{ id: number; same_settings: boolean }>(sql`
    SELECT i.id, coalesce(i.read_at, i.started_at, i.finished_at) > s.settings_updated_at AS same_settings
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
  /** `merging`: the file was read and staged whole; only the merge is left. */
  status: typeof ImportStatus.parsing | typeof ImportStatus.merging;
}

const unfinished = sql`(${ImportStatus.uploaded}, ${ImportStatus.parsing}, ${ImportStatus.merging})`;

/**
 * Moves the oldest claimable uploaded import to parsing, counting the attempt, and returns it; or an
 * import whose tick died while parsing or merging it, once stale (a merging one resumes from its
 * staged rows: `status` says which). SKIP LOCKED makes concurrent ticks take different rows; a parsing
 * row is locked while its parse transaction runs, and a merge holds the supplier's import lock (see
 * `lockSupplierImports`), so a live import is never run twice at once. An import waits while an older
 * one of its supplier is unfinished, so a supplier's files land in upload order and the later file's
 * values win.
 * `exceptIds`: imports this tick already tried (a transient failure is retried by the next tick).
 */
export async function claimNextUpload(db: Executor, exceptIds: readonly number[] = []): Promise<ClaimedImport | undefined> {
  const { rows } = await db.execute<{ id: number; source_key: string; file_name: string; status: ClaimedImport['status'] }>(sql`
    UPDATE imports
       SET status = CASE WHEN status = ${ImportStatus.merging} THEN status ELSE ${ImportStatus.parsing} END,
           started_at = now(), attempts = attempts + 1
     WHERE id = (
       SELECT i.id FROM imports i
        WHERE (i.status = ${ImportStatus.uploaded}
               OR (i.status = ${ImportStatus.merging} AND i.started_at IS NULL)
               OR (i.status IN (${ImportStatus.parsing}, ${ImportStatus.merging}) AND i.started_at < now() - ${staleParsingAfter}::interval))
          AND i.id <> ALL(${sql.param(exceptIds)}::int[])
          AND NOT EXISTS (
            SELECT 1 FROM imports older
             WHERE older.supplier_id = i.supplier_id AND older.id < i.id AND older.status IN ${unfinished})
        ORDER BY i.id
        FOR UPDATE SKIP LOCKED
        LIMIT 1)
    RETURNING id, source_key, file_name, status`);
  const row = rows[0];
  return row && { id: row.id, sourceKey: row.source_key, fileName: row.file_name, status: row.status };
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
        WHERE status IN (${ImportStatus.parsing}, ${ImportStatus.merging}) AND started_at < now() - ${staleParsingAfter}::interval
          AND attempts >= ${maxImportAttempts}
        FOR UPDATE SKIP LOCKED)
    RETURNING 1`);
  return rows.length;
}

/** An import about to run: its supplier, how the supplier's files are read, and where it stands. */
export interface ImportToRun {
  supplierId: number;
  settings: SupplierImportSettings;
  status: ImportStatus;
}

export async function readImportToRun(db: Executor, importId: number): Promise<ImportToRun | undefined> {
  const { rows } = await db.execute<{
    supplier_id: number;
    status: ImportStatus;
    code: string;
    column_mapping: ColumnMapping;
    format: SupplierFormat;
    image_base_url: string | null;
  }>(sql`
    SELECT i.supplier_id, i.status, s.code, s.column_mapping, s.format, s.image_base_url
      FROM imports i JOIN suppliers s ON s.id = i.supplier_id
     WHERE i.id = ${importId}`);
  const row = rows[0];
  if (!row) return undefined;
  return {
    supplierId: row.supplier_id,
    status: row.status,
    settings: { supplierCode: row.code, format: row.format, columnMapping: row.column_mapping, imageBaseUrl: row.image_base_url },
  };
}

/**
 * Waits for the supplier's import lock, held by this session until `unlockSupplierImports` (or until
 * the connection ends, so a dead process never keeps it): two imports of one supplier (a tick and an
 * upload --now, or two ticks) would upsert overlapping SKUs in different orders, or interleave their
 * batches; serialised, each file lands whole, in order. The pool's lock and statement timeouts are
 * sized for workers (see DbTimeouts): waiting here for the previous import is expected.
 */
export async function lockSupplierImports(db: Db, supplierId: number): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL lock_timeout = 0`);
    await tx.execute(sql`SET LOCAL statement_timeout = 0`);
    await tx.execute(sql`SELECT pg_advisory_lock(${supplierImportLock}, ${supplierId})`);
  });
}

export async function unlockSupplierImports(db: Executor, supplierId: number): Promise<void> {
  await db.execute(sql`SELECT pg_advisory_unlock(${supplierImportLock}, ${supplierId})`);
}

/**
 * Starts a parse: locks the import row for its transaction (so `claimNextUpload` skips it) and
 * clears what an earlier, interrupted attempt left: staged rows and the row report.
 */
export async function beginParse(tx: Executor, importId: number): Promise<void> {
  await tx.execute(sql`SELECT 1 FROM imports WHERE id = ${importId} FOR UPDATE`);
  await tx.execute(sql`DELETE FROM import_staged_products WHERE import_id = ${importId}`);
  await tx.execute(sql`DELETE FROM import_row_errors WHERE import_id = ${importId}`);
}

/** The parse is committed: every row staged and reported. What is left is the merge. */
export async function markImportStaged(tx: Executor, importId: number, counts: ImportCounts): Promise<void> {
  await tx.execute(sql`
    UPDATE imports
       SET status = ${ImportStatus.merging}, merged_through = 0, error = NULL, read_at = now(),
           rows_total = ${counts.rowsTotal}, rows_imported = ${counts.rowsImported}, rows_failed = ${counts.rowsFailed},
           rows_merged = ${counts.rowsMerged}, warnings = ${counts.warnings}, products_upserted = 0, images_pending = 0
     WHERE id = ${importId}`);
}

/** One merge batch committed, in the same transaction: a crash after it resumes past `through`. */
export async function markMergeProgress(tx: Executor, importId: number, through: number, written: { productsUpserted: number; imagesPending: number }) {
  await tx.execute(sql`
    UPDATE imports
       SET merged_through = ${through}, products_upserted = products_upserted + ${written.productsUpserted},
           images_pending = images_pending + ${written.imagesPending}
     WHERE id = ${importId}`);
}

/** Where a merge stands: the counts the parse recorded and how far the merge got. */
export async function readStagedImport(db: Executor, importId: number): Promise<{ counts: ImportCounts; mergedThrough: number }> {
  const { rows } = await db.execute<{ [K in keyof ImportCounts | 'mergedThrough']: number }>(sql`
    SELECT rows_total AS "rowsTotal", rows_imported AS "rowsImported", rows_failed AS "rowsFailed", rows_merged AS "rowsMerged",
           warnings, products_upserted AS "productsUpserted", images_pending AS "imagesPending", merged_through AS "mergedThrough"
      FROM imports WHERE id = ${importId}`);
  const { mergedThrough, ...counts } = rows[0]!;
  return { counts, mergedThrough };
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
 * Products of the supplier that a done import names are current again; when the import is a full
 * catalog, those it does not name are discontinued by it. Runs in markImportDone's transaction,
 * under the supplier's import lock, while the staged rows still list every SKU the file had. A full
 * catalog with rejected rows discontinues nothing: a SKU on a rejected row is not missing from the
 * file, and there is no telling which products those rows were. Returns how many it discontinued.
 */
async function applyCatalogPresence(tx: Executor, importId: number, counts: ImportCounts): Promise<number> {
  await tx.execute(sql`
    UPDATE products p SET discontinued_at = NULL, discontinued_by_import_id = NULL
      FROM imports i
     WHERE i.id = ${importId} AND p.supplier_id = i.supplier_id AND p.discontinued_at IS NOT NULL
       AND EXISTS (SELECT 1 FROM import_staged_products s WHERE s.import_id = i.id AND s.sku = p.sku)`);
  if (counts.rowsFailed > 0) return 0;
  const { rows } = await tx.execute(sql`
    UPDATE products p SET discontinued_at = clock_timestamp(), discontinued_by_import_id = i.id
      FROM imports i
     WHERE i.id = ${importId} AND i.full_catalog AND p.supplier_id = i.supplier_id AND p.discontinued_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM import_staged_products s WHERE s.import_id = i.id AND s.sku = p.sku)
    RETURNING 1`);
  return rows.length;
}

/**
 * Ends an import read to the end, in its transaction: `done`, or `rejected` with the reason when not
 * one row made a product, so an import that wrote nothing never passes for a success. A done import
 * brings back the discontinued products it names, and a full catalog discontinues those it lacks.
 */
export async function markImportDone(
  tx: Executor,
  importId: number,
  counts: ImportCounts,
): Promise<{ status: typeof ImportStatus.done | typeof ImportStatus.rejected; error?: string; productsDiscontinued: number }> {
  const error = await noProductReason(tx, importId, counts);
  const status = error === undefined ? ImportStatus.done : ImportStatus.rejected;
  const productsDiscontinued = status === ImportStatus.done ? await applyCatalogPresence(tx, importId, counts) : 0;
  await tx.execute(sql`DELETE FROM import_staged_products WHERE import_id = ${importId}`);
  // clock_timestamp(), not now(): inside the import transaction now() is when the import began.
  await tx.execute(sql`
    UPDATE imports
       SET status = ${status}, error = ${error ?? null}, finished_at = clock_timestamp(), started_at = coalesce(started_at, now()),
           rows_total = ${counts.rowsTotal}, rows_imported = ${counts.rowsImported}, rows_failed = ${counts.rowsFailed},
           rows_merged = ${counts.rowsMerged}, warnings = ${counts.warnings}, products_upserted = ${counts.productsUpserted},
           images_pending = ${counts.imagesPending}, products_discontinued = ${productsDiscontinued}
     WHERE id = ${importId}`);
  return error === undefined ? { status, productsDiscontinued } : { status, error, productsDiscontinued };
}

/**
 * After a transient failure: retried on the next tick with the reason noted, or failed once
 * `maxImportAttempts` claims are used up. A file that failed while being read goes back to uploaded
 * (its parse rolled back); one that failed while merging stays merging, marked not running
 * (`started_at` null), and the next tick resumes its merge without reading the file again.
 * Returns the status it was left in.
 */
export async function markImportForRetry(db: Executor, importId: number, reason: string) {
  const { rows } = await db.execute<{
    status: typeof ImportStatus.uploaded | typeof ImportStatus.merging | typeof ImportStatus.failed;
    error: string;
  }>(sql`
    WITH before AS (SELECT id, status = ${ImportStatus.merging} AS merging, attempts < ${maxImportAttempts} AS retry FROM imports WHERE id = ${importId})
    UPDATE imports i
       SET status = CASE WHEN NOT b.retry THEN ${ImportStatus.failed} WHEN b.merging THEN ${ImportStatus.merging} ELSE ${ImportStatus.uploaded} END,
           error = CASE WHEN b.retry
                        THEN ${reason}::text || ' (attempt ' || i.attempts || ' of ' || ${maxImportAttempts}::int || '; retried on the next tick)'
                        ELSE ${reason}::text || ' (gave up after ' || i.attempts || ' attempts)' END,
           finished_at = CASE WHEN b.retry THEN NULL ELSE now() END,
           started_at = CASE WHEN b.retry AND b.merging THEN NULL ELSE i.started_at END,
           rows_total = CASE WHEN b.retry AND b.merging THEN i.rows_total ELSE 0 END,
           rows_imported = CASE WHEN b.retry AND b.merging THEN i.rows_imported ELSE 0 END,
           rows_failed = CASE WHEN b.retry AND b.merging THEN i.rows_failed ELSE 0 END,
           rows_merged = CASE WHEN b.retry AND b.merging THEN i.rows_merged ELSE 0 END,
           warnings = CASE WHEN b.retry AND b.merging THEN i.warnings ELSE 0 END,
           products_upserted = CASE WHEN b.retry AND b.merging THEN i.products_upserted ELSE 0 END,
           images_pending = CASE WHEN b.retry AND b.merging THEN i.images_pending ELSE 0 END
      FROM before b
     WHERE i.id = b.id
    RETURNING i.status, i.error`);
  return rows[0];
}

/**
 * Fails the import with its reason and drops its staged rows. A file that failed while being read
 * wrote nothing (its parse transaction rolled back); one that failed while merging says how far the
 * merge got, so nothing is half-applied silently.
 */
export async function markImportFailed(db: Executor, importId: number, reason: string): Promise<void> {
  await db.execute(sql`
    WITH dropped AS (DELETE FROM import_staged_products WHERE import_id = ${importId})
    UPDATE imports
       SET status = ${ImportStatus.failed}, finished_at = now(), started_at = coalesce(started_at, now()),
           error = CASE WHEN status = ${ImportStatus.merging} AND merged_through > 0
                        THEN ${reason}::text || ' (after ' || merged_through || ' of ' || rows_imported || ' products were merged)'
                        ELSE ${reason}::text END,
           rows_total = 0, rows_imported = 0, rows_failed = 0, rows_merged = 0, warnings = 0, products_upserted = 0, images_pending = 0
     WHERE id = ${importId}`);
}
