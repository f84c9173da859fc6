import type { AppContext } from '../context.ts';
import type { ImportStatus } from '../db/schema.ts';
import { type ImageCounts, readImageCounts } from './image-counts.ts';

interface RowCounts {
  rowsTotal: number;
  rowsImported: number;
  rowsFailed: number;
  warnings: number;
  productsUpserted: number;
}

export interface ImportProgress extends RowCounts {
  importId: number;
  supplier: string;
  fileName: string;
  status: ImportStatus;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  /** Products of the supplier a full-catalog import lacked and discontinued (0 for any other import). */
  productsDiscontinued: number;
  /** Distinct image sources of the links this import last set (re-imports that change nothing leave them with the earlier import). */
  images: ImageCounts;
}

export interface SupplierProgress extends RowCounts {
  supplier: string;
  imports: number;
  products: number;
  images: ImageCounts;
}

/** The latest imports, newest first, with row counts and their images by status (kept counts, see image-counts.ts). */
export async function listImports(
  ctx: AppContext,
  options: { supplier?: string; limit?: number } = {},
): Promise<ImportProgress[]> {
  const { rows } = await ctx.pool.query<Omit<ImportProgress, 'images'>>(
    `SELECT i.id AS "importId", s.code AS supplier, i.file_name AS "fileName", i.status, i.error,
            i.rows_total AS "rowsTotal", i.rows_imported AS "rowsImported", i.rows_failed AS "rowsFailed",
            i.warnings, i.products_upserted AS "productsUpserted",
            i.products_discontinued AS "productsDiscontinued", i.created_at AS "createdAt", i.finished_at AS "finishedAt"
       FROM imports i JOIN suppliers s ON s.id = i.supplier_id
      WHERE ($1::text IS NULL OR s.code = $1)
      ORDER BY i.id DESC
      LIMIT $2`,
    [options.supplier ?? null, options.limit ?? 50],
  );
  const counts = await readImageCounts(ctx.pool, 'import', rows.map((r) => r.importId));
  return rows.map((row) => ({ ...row, images: counts.get(row.importId)!.images }));
}

/** The same counts summed per supplier: rows over all its imports, products and images as they are now. */
export async function listSupplierProgress(ctx: AppContext): Promise<SupplierProgress[]> {
  const { rows } = await ctx.pool.query<Omit<SupplierProgress, 'images'> & { id: number }>(
    `SELECT s.id, s.code AS supplier, coalesce(i.imports, 0)::int AS imports,
            coalesce(i.rows_total, 0)::int AS "rowsTotal", coalesce(i.rows_imported, 0)::int AS "rowsImported",
            coalesce(i.rows_failed, 0)::int AS "rowsFailed", coalesce(i.warnings, 0)::int AS warnings,
            coalesce(i.products_upserted, 0)::int AS "productsUpserted", coalesce(pc.n, 0)::int AS products
       FROM suppliers s
       LEFT JOIN (SELECT supplier_id, count(*) AS imports, sum(rows_total) AS rows_total, sum(rows_imported) AS rows_imported,
                         sum(rows_failed) AS rows_failed, sum(warnings) AS warnings, sum(products_upserted) AS products_upserted
                    FROM imports GROUP BY supplier_id) i ON i.supplier_id = s.id
       LEFT JOIN product_counts pc ON pc.supplier_id = s.id
      ORDER BY s.code`,
  );
  const counts = await readImageCounts(ctx.pool, 'supplier', rows.map((r) => r.id));
  return rows.map(({ id, ...row }) => ({ ...row, images: counts.get(id)!.images }));
}
