import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { ImportStatus, type ColumnMapping } from '../db/schema.ts';

type Executor = Pick<Db, 'execute'>;

/** A claimed `parsing` import whose transaction is gone (crashed tick) is claimed again after this. */
const staleParsingAfter = '15 minutes';

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

/** The latest done import of the same file for the supplier, if any. */
export async function findDoneImportOfFile(db: Executor, supplierId: number, fileHash: string, exceptId: number) {
  const { rows } = await db.execute<{ id: number }>(sql`
    SELECT id FROM imports
     WHERE supplier_id = ${supplierId} AND file_hash = ${fileHash} AND status = ${ImportStatus.done} AND id <> ${exceptId}
     ORDER BY id DESC LIMIT 1`);
  return rows[0]?.id;
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
 * Moves the oldest uploaded import to parsing and returns it. SKIP LOCKED makes concurrent ticks
 * take different rows; a parsing row is only locked while its import transaction runs (see
 * `lockImportForParsing`), so one still parsing is skipped and one whose tick died is taken again.
 */
export async function claimNextUpload(db: Executor): Promise<ClaimedImport | undefined> {
  const { rows } = await db.execute<{ id: number; source_key: string; file_name: string }>(sql`
    UPDATE imports SET status = ${ImportStatus.parsing}, started_at = now(), error = NULL
     WHERE id = (
       SELECT id FROM imports
        WHERE status = ${ImportStatus.uploaded}
           OR (status = ${ImportStatus.parsing} AND started_at < now() - ${staleParsingAfter}::interval)
        ORDER BY id
        FOR UPDATE SKIP LOCKED
        LIMIT 1)
    RETURNING id, source_key, file_name`);
  const row = rows[0];
  return row && { id: row.id, sourceKey: row.source_key, fileName: row.file_name };
}

/** Locks the import row for the import transaction and reads the supplier's mapping. */
export async function lockImportForParsing(tx: Executor, importId: number) {
  const { rows } = await tx.execute<{ supplier_id: number; column_mapping: ColumnMapping }>(sql`
    SELECT i.supplier_id, s.column_mapping
      FROM imports i JOIN suppliers s ON s.id = i.supplier_id
     WHERE i.id = ${importId}
       FOR UPDATE OF i`);
  const row = rows[0];
  return row && { supplierId: row.supplier_id, columnMapping: row.column_mapping };
}

export interface ImportCounts {
  rowsTotal: number;
  rowsImported: number;
  rowsFailed: number;
  warnings: number;
  productsUpserted: number;
  imagesPending: number;
}

export async function markImportDone(tx: Executor, importId: number, counts: ImportCounts): Promise<void> {
  await tx.execute(sql`
    UPDATE imports
       SET status = ${ImportStatus.done}, error = NULL, finished_at = now(), started_at = coalesce(started_at, now()),
           rows_total = ${counts.rowsTotal}, rows_imported = ${counts.rowsImported}, rows_failed = ${counts.rowsFailed},
           warnings = ${counts.warnings}, products_upserted = ${counts.productsUpserted}, images_pending = ${counts.imagesPending}
     WHERE id = ${importId}`);
}

/** After the import transaction rolled back: nothing of the file was written, only the reason. */
export async function markImportFailed(db: Executor, importId: number, reason: string): Promise<void> {
  await db.execute(sql`
    UPDATE imports
       SET status = ${ImportStatus.failed}, error = ${reason}, finished_at = now(), started_at = coalesce(started_at, now()),
           rows_total = 0, rows_imported = 0, rows_failed = 0, warnings = 0, products_upserted = 0, images_pending = 0
     WHERE id = ${importId}`);
}
