import type { AppContext } from '../../src/context.ts';

/** Counts keyed `scope/scope_id/status/kind` (kind only for failed sources), zeros left out. */
export type CountsByKey = Record<string, number>;

const keyed = (rows: ReadonlyArray<{ key: string; n: number }>): CountsByKey => Object.fromEntries(rows.map((r) => [r.key, r.n]));

/** What the triggers kept in image_counts and product_counts, shards summed. */
export async function keptCounts(ctx: AppContext): Promise<CountsByKey> {
  const { rows } = await ctx.pool.query<{ key: string; n: number }>(`
    SELECT concat_ws('/', scope, scope_id, status, nullif(kind, '')) AS key, sum(n)::int AS n FROM image_counts GROUP BY 1 HAVING sum(n) <> 0
    UNION ALL
    SELECT concat_ws('/', 'products', supplier_id), n::int FROM product_counts WHERE n <> 0
    ORDER BY 1`);
  return keyed(rows);
}

/**
 * The same counts from scratch, the way the admin queries counted before they were kept: distinct
 * sources by status (and failure kind) overall, of the links an import last set, of a supplier's products.
 */
export async function countsFromScratch(ctx: AppContext): Promise<CountsByKey> {
  const { rows } = await ctx.pool.query<{ key: string; n: number }>(`
    WITH src AS (
      SELECT id, status, CASE WHEN status = 'failed' THEN coalesce(error_kind, 'unknown') END AS kind FROM image_sources
    )
    SELECT concat_ws('/', 'all', 0, status, kind) AS key, count(*)::int AS n FROM src GROUP BY 1
    UNION ALL
    SELECT concat_ws('/', 'import', l.import_id, s.status, s.kind), count(*)::int
      FROM (SELECT DISTINCT import_id, source_id FROM product_images WHERE import_id IS NOT NULL) l JOIN src s ON s.id = l.source_id GROUP BY 1
    UNION ALL
    SELECT concat_ws('/', 'supplier', l.supplier_id, s.status, s.kind), count(*)::int
      FROM (SELECT DISTINCT p.supplier_id, pi.source_id FROM product_images pi JOIN products p ON p.id = pi.product_id) l
      JOIN src s ON s.id = l.source_id GROUP BY 1
    UNION ALL
    SELECT concat_ws('/', 'products', supplier_id), count(*)::int FROM products GROUP BY 1
    ORDER BY 1`);
  return keyed(rows);
}
