import type { AppContext } from '../context.ts';

export interface FailedImage {
  /** The image source's id (what `requeue --ids` takes). */
  imageId: number;
  /** One product that links the source (the most recent link); `linkedProducts` says how many do. */
  supplier: string | null;
  sku: string | null;
  position: number | null;
  linkedProducts: number;
  sourceUrl: string;
  kind: string | null;
  error: string | null;
  attempts: number;
  updatedAt: Date;
}

/**
 * Failed image sources with their kind and reason, newest first. Reads failed rows only (a partial
 * index holds them), each with one linking product to name it.
 */
export async function listFailures(
  ctx: AppContext,
  options: { supplier?: string; kind?: string; limit?: number } = {},
): Promise<FailedImage[]> {
  const { rows } = await ctx.pool.query<FailedImage>(
    `SELECT src.id::int AS "imageId", link.supplier, link.sku, link.position, link.linked AS "linkedProducts",
            src.source_url AS "sourceUrl", src.error_kind AS kind, src.last_error AS error, src.attempts, src.updated_at AS "updatedAt"
       FROM image_sources src
       LEFT JOIN LATERAL (
         SELECT s.code AS supplier, p.sku, pi.position::int, count(*) OVER ()::int AS linked
           FROM product_images pi JOIN products p ON p.id = pi.product_id JOIN suppliers s ON s.id = p.supplier_id
          WHERE pi.source_id = src.id
          ORDER BY (s.code = $1) DESC NULLS LAST, pi.id DESC
          LIMIT 1) link ON true
      WHERE src.status = 'failed'
        AND ($1::text IS NULL OR EXISTS (
              SELECT 1 FROM product_images pi JOIN products p ON p.id = pi.product_id JOIN suppliers s ON s.id = p.supplier_id
               WHERE pi.source_id = src.id AND s.code = $1))
        AND ($2::text IS NULL OR coalesce(src.error_kind, 'unknown') = $2)
      ORDER BY src.updated_at DESC, src.id
      LIMIT $3`,
    [options.supplier ?? null, options.kind ?? null, options.limit ?? 1000],
  );
  return rows.map((row) => ({ ...row, linkedProducts: row.linkedProducts ?? 0 }));
}
