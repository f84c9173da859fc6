import type { AppContext } from '../context.ts';

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
