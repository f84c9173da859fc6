import type { AppContext } from '../context.ts';
import { readImageCounts, type ScopeCounts } from './image-counts.ts';

export interface FailureGroup {
  kind: string;
  count: number;
  /** A few source URLs of this kind, newest first, so admins can check one by hand. */
  examples: Array<{ imageId: number; sourceUrl: string; error: string | null }>;
}

/**
 * The kept failure counts of the scope asked for: an import, a supplier, or everything. An import of
 * another supplier than the one named, or an unknown supplier, has none.
 */
async function failuresInScope(ctx: AppContext, options: { supplier?: string; importId?: number }): Promise<ScopeCounts['failuresByKind']> {
  const { rows } = await ctx.pool.query<{ supplier_id: number | null; import_supplier_id: number | null }>(
    `SELECT (SELECT id FROM suppliers WHERE code = $1) AS supplier_id, (SELECT supplier_id FROM imports WHERE id = $2) AS import_supplier_id`,
    [options.supplier ?? null, options.importId ?? null],
  );
  const { supplier_id: supplierId, import_supplier_id: importSupplierId } = rows[0]!;
  if (options.supplier !== undefined && supplierId === null) return [];
  if (options.importId !== undefined) {
    if (importSupplierId === null || (options.supplier !== undefined && importSupplierId !== supplierId)) return [];
    return (await readImageCounts(ctx.pool, 'import', [options.importId])).get(options.importId)!.failuresByKind;
  }
  const [scope, id] = supplierId === null ? (['all', 0] as const) : (['supplier', supplierId] as const);
  return (await readImageCounts(ctx.pool, scope, [id])).get(id)!.failuresByKind;
}

/**
 * Failed images grouped by error kind, largest group first, with example URLs. The counts are the
 * kept ones (see image-counts.ts); the examples read a few rows per kind, newest first, from the
 * failed sources' (error_kind, updated_at) index: the cost is the number of kinds, not of failures.
 */
export async function listFailureGroups(
  ctx: AppContext,
  options: { supplier?: string; importId?: number; examples?: number } = {},
): Promise<FailureGroup[]> {
  const groups = await failuresInScope(ctx, options);
  if (groups.length === 0) return [];
  // `unknown` stands for a failure recorded without a kind (error_kind null).
  const { rows } = await ctx.pool.query<{ kind: string; examples: FailureGroup['examples'] }>(
    `SELECT k.kind, coalesce(ex.examples, '[]') AS examples
       FROM unnest($1::text[]) AS k(kind)
       LEFT JOIN LATERAL (
         SELECT json_agg(json_build_object('imageId', e.id::int, 'sourceUrl', e.source_url, 'error', e.last_error)
                         ORDER BY e.updated_at DESC, e.id) AS examples
           FROM (SELECT src.id, src.source_url, src.last_error, src.updated_at FROM image_sources src
                  WHERE src.status = 'failed'
                    AND coalesce(src.error_kind, 'unknown') = k.kind
                    AND ($2::text IS NULL OR EXISTS (
                          SELECT 1 FROM product_images pi JOIN products p ON p.id = pi.product_id JOIN suppliers s ON s.id = p.supplier_id
                           WHERE pi.source_id = src.id AND s.code = $2))
                    AND ($3::int IS NULL OR EXISTS (SELECT 1 FROM product_images pi WHERE pi.source_id = src.id AND pi.import_id = $3))
                  ORDER BY src.updated_at DESC, src.id
                  LIMIT $4) e) ex ON true`,
    [groups.map((g) => g.kind), options.supplier ?? null, options.importId ?? null, options.examples ?? 3],
  );
  const examples = new Map(rows.map((row) => [row.kind, row.examples]));
  return groups.map((g) => ({ kind: g.kind, count: g.count, examples: examples.get(g.kind) ?? [] }));
}
