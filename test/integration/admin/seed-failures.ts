import type { AppContext } from '../../../src/context.ts';
import { seedProduct } from '../../helpers/seed.ts';

/** An imports row for `supplier` (created by seedProduct first), for filters by import. */
export async function seedImport(ctx: AppContext, supplier: string, fileName = `${supplier}.csv`): Promise<number> {
  const { rows } = await ctx.pool.query<{ id: number }>(
    `INSERT INTO imports (supplier_id, source_key, file_name, status)
     SELECT id, 'uploads/' || code || '/' || $2, $2, 'done' FROM suppliers WHERE code = $1 RETURNING id`,
    [supplier, `${Date.now()}-${Math.random().toString(36).slice(2)}-${fileName}`],
  );
  return rows[0]!.id;
}

/**
 * A product whose image sources are already failed with `kind` after three claims, as the worker
 * leaves them; its links name `importId`. Returns the source ids.
 */
export async function seedFailedImages(
  ctx: AppContext,
  options: { supplier: string; sku: string; urls: string[]; kind: string; importId?: number; failedAt?: Date },
): Promise<number[]> {
  const { productId, imageIds } = await seedProduct(ctx, options.supplier, options.sku, options.urls);
  await ctx.pool.query(
    `UPDATE image_sources
        SET status = 'failed', error_kind = $2, last_error = $2 || ': ' || source_url, attempts = 3,
            updated_at = coalesce($3, now())
      WHERE id = ANY($1::bigint[])`,
    [imageIds, options.kind, options.failedAt ?? null],
  );
  await ctx.pool.query(`UPDATE product_images SET import_id = $2 WHERE product_id = $1`, [productId, options.importId ?? null]);
  return imageIds;
}
