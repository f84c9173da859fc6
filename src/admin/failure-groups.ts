import type { AppContext } from '../context.ts';

export interface FailureGroup {
  kind: string;
  count: number;
  /** A few source URLs of this kind, newest first, so admins can check one by hand. */
  examples: Array<{ imageId: number; sourceUrl: string; error: string | null }>;
}

/** Failed images grouped by error kind, largest group first, with example URLs. */
export async function listFailureGroups(
  ctx: AppContext,
  options: { supplier?: string; importId?: number; examples?: number } = {},
): Promise<FailureGroup[]> {
  const { rows } = await ctx.pool.query<FailureGroup>(
    `WITH failed AS (
       SELECT src.id, coalesce(src.error_kind, 'unknown') AS kind, src.source_url, src.last_error, src.updated_at,
              row_number() OVER (PARTITION BY coalesce(src.error_kind, 'unknown') ORDER BY src.updated_at DESC, src.id) AS n
         FROM image_sources src
        WHERE src.status = 'failed'
          AND ($1::text IS NULL OR EXISTS (
                SELECT 1 FROM product_images pi JOIN products p ON p.id = pi.product_id JOIN suppliers s ON s.id = p.supplier_id
                 WHERE pi.source_id = src.id AND s.code = $1))
          AND ($2::int IS NULL OR EXISTS (SELECT 1 FROM product_images pi WHERE pi.source_id = src.id AND pi.import_id = $2)))
     SELECT kind, count(*)::int AS count,
            coalesce(json_agg(json_build_object('imageId', id::int, 'sourceUrl', source_url, 'error', last_error)
                              ORDER BY n) FILTER (WHERE n <= $3), '[]') AS examples
       FROM failed GROUP BY kind ORDER BY count(*) DESC, kind`,
    [options.supplier ?? null, options.importId ?? null, options.examples ?? 3],
  );
  return rows;
}
