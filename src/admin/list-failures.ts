import type { AppContext } from '../context.ts';

export interface FailedImage {
  imageId: number;
  supplier: string;
  sku: string;
  position: number;
  sourceUrl: string;
  kind: string | null;
  error: string | null;
  attempts: number;
  updatedAt: Date;
}

/** Failed images with their kind and reason, newest first. */
export async function listFailures(
  ctx: AppContext,
  options: { supplier?: string; kind?: string; limit?: number } = {},
): Promise<FailedImage[]> {
  const { rows } = await ctx.pool.query<FailedImage>(
    `SELECT pi.id::int AS "imageId", s.code AS supplier, p.sku, pi.position, pi.source_url AS "sourceUrl",
            pi.error_kind AS kind, pi.last_error AS error, pi.attempts, pi.updated_at AS "updatedAt"
       FROM product_images pi
       JOIN products p ON p.id = pi.product_id
       JOIN suppliers s ON s.id = p.supplier_id
      WHERE pi.status = 'failed'
        AND ($1::text IS NULL OR s.code = $1)
        AND ($2::text IS NULL OR pi.error_kind = $2)
      ORDER BY pi.updated_at DESC, pi.id
      LIMIT $3`,
    [options.supplier ?? null, options.kind ?? null, options.limit ?? 1000],
  );
  return rows;
}
