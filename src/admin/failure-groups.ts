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
       SELECT pi.id, coalesce(pi.error_kind, 'unknown') AS kind, pi.source_url, pi.last_error, pi.updated_at,
              row_number() OVER (PARTITION BY coalesce(pi.error_kind, 'unknown') ORDER BY pi.updated_at DESC, pi.id) AS n
         FROM product_images pi
         JOIN products p ON p.id = pi.product_id
         JOIN suppliers s ON s.id = p.supplier_id
        WHERE pi.status = 'failed'
          AND ($1::text IS NULL OR s.code = $1)
          AND ($2::int IS NULL OR pi.import_id = $2))
     SELECT kind, count(*)::int AS count,
            coalesce(json_agg(json_build_object('imageId', id::int, 'sourceUrl', source_url, 'error', last_error)
                              ORDER BY n) FILTER (WHERE n <= $3), '[]') AS examples
       FROM failed GROUP BY kind ORDER BY count(*) DESC, kind`,
    [options.supplier ?? null, options.importId ?? null, options.examples ?? 3],
  );
  return rows;
}
