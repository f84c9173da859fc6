import type pg from 'pg';
import { ImageStatus } from '../db/schema.ts';

/** Images by status, plus their total: what a progress bar needs (done + failed = total means finished). */
export type ImageCounts = Record<ImageStatus, number> & { total: number };

/** What a scope holds: its sources by status, and its failed ones by error kind, largest first. */
export interface ScopeCounts {
  images: ImageCounts;
  failuresByKind: Array<{ kind: string; count: number }>;
}

export type CountScope = 'all' | 'import' | 'supplier';

const emptyCounts = (): ImageCounts => ({ ...(Object.fromEntries(Object.values(ImageStatus).map((s) => [s, 0])) as Record<ImageStatus, number>), total: 0 });

/**
 * The kept counts (image_counts, maintained by the triggers of migration 0009) of some scopes, by
 * scope id; a scope with no row has no images. Reads at most 32 shard rows per status and kind of
 * each scope, whatever the number of images.
 */
export async function readImageCounts(pool: pg.Pool, scope: CountScope, scopeIds: readonly number[]): Promise<Map<number, ScopeCounts>> {
  const counts = new Map<number, ScopeCounts>(scopeIds.map((id) => [id, { images: emptyCounts(), failuresByKind: [] }]));
  if (scopeIds.length === 0) return counts;
  const { rows } = await pool.query<{ scope_id: number; status: ImageStatus; kind: string; n: number }>(
    `SELECT scope_id, status, kind, sum(n)::int AS n FROM image_counts
      WHERE scope = $1 AND scope_id = ANY($2::int[])
      GROUP BY 1, 2, 3 HAVING sum(n) <> 0
      ORDER BY 1, sum(n) DESC, kind`,
    [scope, scopeIds],
  );
  for (const row of rows) {
    const scoped = counts.get(row.scope_id)!;
    scoped.images[row.status] += row.n;
    scoped.images.total += row.n;
    if (row.status === ImageStatus.failed) scoped.failuresByKind.push({ kind: row.kind, count: row.n });
  }
  return counts;
}
