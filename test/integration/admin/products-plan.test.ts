import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listProducts, type ProductFilter } from '../../../src/admin/list-products.ts';
import type { AppContext } from '../../../src/context.ts';
import { importFile } from '../../helpers/catalog.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { buildCsv } from '../../helpers/spreadsheets.ts';
import { explainingQueries, type PlanNode } from '../../helpers/query-plan.ts';

/**
 * The products listing's discontinued filter at 100k products, 200 of them discontinued (1 in 500):
 * a page of 50 reads the products it returns, from products_discontinued_idx or along the unique
 * index, never the whole catalog (without the partial index, "discontinued" read all 100k to find 51).
 */
describe('the discontinued filter pages by index (EXPLAIN at 100k products)', () => {
  let env: TestEnvironment;
  let ctx: AppContext;

  beforeAll(async () => {
    env = await startTestEnvironment();
    ctx = env.ctx;
    const { importId } = await importFile(ctx, 'big', 'big.csv', buildCsv([['SKU', 'Product Name'], ['seed', 'Seed']]), { fullCatalog: true });
    await ctx.pool.query(
      `INSERT INTO products (supplier_id, sku, title, discontinued_at, discontinued_by_import_id)
       SELECT s.id, 'big-' || lpad(g::text, 6, '0'), 'Product ' || g,
              CASE WHEN g % 500 = 0 THEN now() END, CASE WHEN g % 500 = 0 THEN $1::int END
         FROM suppliers s, generate_series(1, 100000) AS g
        WHERE s.code = 'big'`,
      [importId],
    );
    await ctx.pool.query('ANALYZE products');
  }, 120_000);
  afterAll(() => env?.stop());

  /** The products listing's plan, executed (EXPLAIN ANALYZE), and the page it would have returned. */
  async function planOf(filter: ProductFilter) {
    const explaining = explainingQueries(ctx.pool);
    await listProducts({ pool: explaining } as never, filter);
    return explaining.nodes().filter((node) => node['Relation Name'] === 'products');
  }
  const rowsRead = (scans: PlanNode[]) => scans.reduce((sum, node) => sum + (node['Actual Rows'] ?? 0) * (node['Actual Loops'] ?? 1) + (node['Rows Removed by Filter'] ?? 0), 0);

  it('discontinued: the partial index, in page order, 51 rows read for a page of 50', async () => {
    const scans = await planOf({ discontinued: true, limit: 50 });
    expect(scans.map((node) => [node['Node Type'], node['Index Name']])).toEqual([['Index Scan', 'products_discontinued_idx']]);
    expect(rowsRead(scans)).toBe(51);
    const page = await listProducts(ctx, { discontinued: true, limit: 50 });
    expect(page.products).toHaveLength(50);
    expect(page.products.every((p) => p.discontinuedAt !== null)).toBe(true);

    const next = await planOf({ discontinued: true, limit: 50, after: page.next! });
    expect(next.map((node) => node['Index Name'])).toEqual(['products_discontinued_idx']);
    expect(rowsRead(next)).toBe(51);
  });

  it('current: along the unique index, skipping the few discontinued', async () => {
    const scans = await planOf({ discontinued: false, limit: 50 });
    expect(scans.map((node) => [node['Node Type'], node['Index Name']])).toEqual([['Index Scan', 'products_supplier_sku_unique']]);
    expect(rowsRead(scans)).toBeLessThanOrEqual(52);
  });
});
