import type { AppContext } from '../context.ts';
import type { ImportStatus } from '../db/schema.ts';
import { AdminError, AdminErrorKind } from './errors.ts';

export interface RowError {
  rowNumber: number;
  column: string | null;
  severity: 'error' | 'warning';
  message: string;
}

/** The rows an import rejected or warned about, in file order: the report admins download. */
export async function listRowErrors(ctx: AppContext, importId: number): Promise<RowError[]> {
  const { rows } = await ctx.pool.query<RowError>(
    `SELECT row_number AS "rowNumber", "column", severity, message
       FROM import_row_errors WHERE import_id = $1 ORDER BY row_number, id`,
    [importId],
  );
  return rows;
}

/** The import itself, as the top of its report: how it ended and why. */
export interface ImportOutcome {
  importId: number;
  supplier: string;
  fileName: string;
  status: ImportStatus;
  /** Why it failed, was rejected, or waits for a retry; null when it is done. */
  error: string | null;
  rowsTotal: number;
  rowsImported: number;
  rowsFailed: number;
}

export interface ImportReport {
  import: ImportOutcome;
  rowErrors: RowError[];
}

/** An import's own outcome and its rejected or warned rows: what `report` shows. */
export async function getImportReport(ctx: AppContext, importId: number): Promise<ImportReport> {
  const { rows } = await ctx.pool.query<ImportOutcome>(
    `SELECT i.id AS "importId", s.code AS supplier, i.file_name AS "fileName", i.status, i.error,
            i.rows_total AS "rowsTotal", i.rows_imported AS "rowsImported", i.rows_failed AS "rowsFailed"
       FROM imports i JOIN suppliers s ON s.id = i.supplier_id
      WHERE i.id = $1`,
    [importId],
  );
  const outcome = rows[0];
  if (!outcome) throw new AdminError(AdminErrorKind.notFound, `import ${importId} does not exist`);
  return { import: outcome, rowErrors: await listRowErrors(ctx, importId) };
}

/** One line for people: `import #12 (acme, acme.csv): rejected, 0/21 rows: all 21 rows were rejected: …`. */
export function describeImportOutcome(outcome: ImportOutcome): string {
  const rows = `${outcome.rowsImported}/${outcome.rowsTotal} rows imported, ${outcome.rowsFailed} rejected`;
  return `import #${outcome.importId} (${outcome.supplier}, ${outcome.fileName}): ${outcome.status}, ${rows}${outcome.error ? `: ${outcome.error}` : ''}`;
}
