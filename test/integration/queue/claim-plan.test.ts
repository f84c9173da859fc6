import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../../src/context.ts';
import { ClaimKind, claimSources } from '../../../src/queue/claim-pending-images.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { explainingQueries, type PlanNode } from '../../helpers/query-plan.ts';

/**
 * The claims' plans at a backlog CI can afford: 200k sources, of which 150k are queued under a live
 * lease, 40k done and recently checked, and 10k pending with a few hundred expired leases. A claim
 * must read only what it returns: no sequential scan, and no row read then thrown away by a filter
 * (the 1M-row claim that took 0.5 s each read and dropped 857,500 queued rows per call).
 */
describe('claims cost what they return (EXPLAIN at 200k sources)', () => {
  let env: TestEnvironment;
  let ctx: AppContext;

  beforeAll(async () => {
    env = await startTestEnvironment();
    ctx = env.ctx;
    await ctx.pool.query(`
      INSERT INTO image_sources (source_url, status, lease_until, checked_at)
      SELECT 'https://cdn.test/' || n || '.jpg',
             CASE WHEN n <= 150000 THEN 'queued' WHEN n <= 190000 THEN 'done' ELSE 'pending' END,
             CASE WHEN n <= 149700 THEN now() + interval '4 days' WHEN n <= 150000 THEN now() - interval '1 minute' END,
             CASE WHEN n > 150000 AND n <= 190000 THEN now() - interval '1 day' END
        FROM generate_series(1, 200000) AS n`);
    await ctx.pool.query('ANALYZE image_sources');
  }, 120_000);
  afterAll(() => env?.stop());

  /** The plan of one claim, executed inside a transaction that is rolled back. */
  async function planOf(kind: ClaimKind, limit: number, revalidateAfterSeconds?: number) {
    const client = await ctx.pool.connect();
    try {
      await client.query('BEGIN');
      const explaining = explainingQueries(client);
      await claimSources(explaining as never, kind, { limit, leaseSeconds: 60, revalidateAfterSeconds });
      return explaining.nodes();
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  /** Scans of image_sources other than the update's own primary-key lookups of the claimed rows. */
  const sourceReads = (plan: PlanNode[]) =>
    plan.filter(
      (node) => node['Relation Name'] === 'image_sources' && node['Node Type'].includes('Scan') && node['Index Name'] !== 'image_sources_pkey',
    );

  it.each([
    [ClaimKind.pending, 'image_sources_pending_idx', undefined],
    [ClaimKind.expired, 'image_sources_lease_idx', undefined],
    [ClaimKind.revalidate, 'image_sources_checked_idx', 3600],
  ] as const)('the %s claim reads its partial index and drops no row', async (kind, index, revalidateAfter) => {
    const plan = await planOf(kind, 500, revalidateAfter);
    const reads = sourceReads(plan);
    expect(plan.some((node) => node['Node Type'] === 'Seq Scan')).toBe(false);
    expect(reads.map((node) => node['Index Name'])).toEqual([index]);
    expect(plan.reduce((sum, node) => sum + (node['Rows Removed by Filter'] ?? 0), 0)).toBe(0);
    expect(reads[0]!['Actual Rows']).toBeLessThanOrEqual(500);
  });

  it('claims return the rows the plans promise', async () => {
    const expired = await claimSources(ctx.pool, ClaimKind.expired, { limit: 1000, leaseSeconds: 60 });
    expect(expired).toHaveLength(300);
    expect(new Set(expired.map((c) => c.previousStatus))).toEqual(new Set(['queued']));
    const pending = await claimSources(ctx.pool, ClaimKind.pending, { limit: 500, leaseSeconds: 60 });
    expect(pending).toHaveLength(500);
    expect(pending.every((c) => c.previousStatus === 'pending')).toBe(true);
    const notYet = await claimSources(ctx.pool, ClaimKind.revalidate, { limit: 500, leaseSeconds: 60, revalidateAfterSeconds: 2 * 86_400 });
    expect(notYet).toEqual([]);
  });
});
