import type { AppContext } from '../context.ts';
import type { ImageStatus, ImportStatus } from '../db/schema.ts';

/** Images by status, plus their total: what a progress bar needs (done + failed = total means finished). */
export type ImageCounts = Record<ImageStatus, number> & { total: number };

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
  /** Distinct image sources of the links this import last set (re-imports that change nothing leave them with the earlier import). */
  images: ImageCounts;
}

export interface SupplierProgress extends RowCounts {
  supplier: string;
  imports: number;
  products: number;
  images: ImageCounts;
}

// One JSON object per group, so a row maps straight onto ImageCounts.
const imageCounts = `json_build_object(
  'pending', count(*) FILTER (WHERE src.status = 'pending')::int,
  'queued', count(*) FILTER (WHERE src.status = 'queued')::int,
  'processing', count(*) FILTER (WHERE src.status = 'processing')::int,
  'done', count(*) FILTER (WHERE src.status = 'done')::int,
  'failed', count(*) FILTER (WHERE src.status = 'failed')::int,
  'total', count(src.id)::int)`;

/** The latest imports, newest first, with row counts and their images by status. */
export async function listImports(
  ctx: AppContext,
  options: { supplier?: string; limit?: number } = {},
): Promise<ImportProgress[]> {
  const { rows } = await ctx.pool.query<ImportProgress>(
    `SELECT i.id AS "importId", s.code AS supplier, i.file_name AS "fileName", i.status, i.error,
            i.rows_total AS "rowsTotal", i.rows_imported AS "rowsImported", i.rows_failed AS "rowsFailed",
            i.warnings, i.products_upserted AS "productsUpserted", i.created_at AS "createdAt", i.finished_at AS "finishedAt",
            (SELECT ${imageCounts} FROM image_sources src
              WHERE src.id IN (SELECT pi.source_id FROM product_images pi WHERE pi.import_id = i.id)) AS images
       FROM imports i JOIN suppliers s ON s.id = i.supplier_id
      WHERE ($1::text IS NULL OR s.code = $1)
      ORDER BY i.id DESC
      LIMIT $2`,
    [options.supplier ?? null, options.limit ?? 50],
  );
  return rows;
}

/** The same counts summed per supplier: rows over all its imports, products and images as they are now. */
export async function listSupplierProgress(ctx: AppContext): Promise<SupplierProgress[]> {
  const { rows } = await ctx.pool.query<SupplierProgress>(
    `SELECT s.code AS supplier,
            (SELECT count(*)::int FROM imports i WHERE i.supplier_id = s.id) AS imports,
            (SELECT coalesce(sum(rows_total), 0)::int FROM imports i WHERE i.supplier_id = s.id) AS "rowsTotal",
            (SELECT coalesce(sum(rows_imported), 0)::int FROM imports i WHERE i.supplier_id = s.id) AS "rowsImported",
            (SELECT coalesce(sum(rows_failed), 0)::int FROM imports i WHERE i.supplier_id = s.id) AS "rowsFailed",
            (SELECT coalesce(sum(warnings), 0)::int FROM imports i WHERE i.supplier_id = s.id) AS warnings,
            (SELECT coalesce(sum(products_upserted), 0)::int FROM imports i WHERE i.supplier_id = s.id) AS "productsUpserted",
            (SELECT count(*)::int FROM products p WHERE p.supplier_id = s.id) AS products,
            (SELECT ${imageCounts} FROM image_sources src
              WHERE src.id IN (SELECT pi.source_id FROM product_images pi JOIN products p ON p.id = pi.product_id
                                WHERE p.supplier_id = s.id)) AS images
       FROM suppliers s
      ORDER BY s.code`,
  );
  return rows;
}
