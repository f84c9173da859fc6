import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProductBatch } from '../../../src/catalog/write-batch.ts';
import type { ProductRow } from '../../../src/catalog/row-validation.ts';
import type { AppContext } from '../../../src/context.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { countsFromScratch, keptCounts } from '../../helpers/image-counts.ts';

const batch: ProductRow[] = [1, 2, 3].map((n) => ({
  rowNumber: n + 1,
  sku: `L-${n}`,
  title: `Lock ${n}`,
  fields: { colour: 'red' },
  imageUrls: [`https://cdn.example.test/${n}.jpg`],
}));

// Row locks need two sessions; the embedded PGlite has one, so this runs on a real server
// (CI sets DATABASE_URL to the machine's PostgreSQL).
describe.runIf(Boolean(process.env.DATABASE_URL))('row locks an import takes, against workers finishing image sources', () => {
  let env: TestEnvironment;
  let ctx: AppContext;
  let other: pg.Client;
  let target: Parameters<typeof writeProductBatch>[1];

  beforeAll(async () => {
    env = await startTestEnvironment();
    ctx = env.ctx;
    other = new pg.Client({ connectionString: ctx.config.databaseUrl });
    await other.connect();
    const { rows: s } = await ctx.pool.query<{ id: number }>(`INSERT INTO suppliers (code, name) VALUES ('locks', 'locks') RETURNING id`);
    const { rows: i } = await ctx.pool.query<{ id: number }>(
      `INSERT INTO imports (supplier_id, source_key, file_name) VALUES ($1, 'uploads/locks/a.csv', 'a.csv') RETURNING id`,
      [s[0]!.id],
    );
    target = { supplierId: s[0]!.id, importId: i[0]!.id, replaceImages: true };
    await ctx.db.transaction((tx) => writeProductBatch(tx, target, batch));
  });
  afterAll(async () => {
    await other?.end();
    await env?.stop();
  });

  it('a worker can lock the products, links and sources of an identical batch while the import is still open', async () => {
    await ctx.db.transaction(async (tx) => {
      const written = await writeProductBatch(tx, target, batch);
      expect(written).toEqual({ productsUpserted: 0, imagesPending: 0 });
      // While this transaction is open, another session must get the rows at once.
      const products = await other.query(`SELECT id FROM products FOR UPDATE NOWAIT`);
      const links = await other.query(`SELECT id FROM product_images FOR UPDATE NOWAIT`);
      // A worker's UPDATE of a source takes FOR NO KEY UPDATE; the import holds its sources FOR KEY
      // SHARE (so media-gc cannot delete them), which does not conflict with it.
      const sources = await other.query(`SELECT id FROM image_sources FOR NO KEY UPDATE NOWAIT`);
      expect(products.rowCount).toBe(3);
      expect(links.rowCount).toBe(3);
      expect(sources.rowCount).toBe(3);
    });
  });

  it('an import changing a link locks its product first, the order a finishing worker uses: no deadlock', async () => {
    const { rows } = await ctx.pool.query<{ id: string; source_id: string }>(
      `SELECT p.id, pi.source_id FROM products p JOIN product_images pi ON pi.product_id = p.id WHERE p.sku = 'L-1'`,
    );
    const { id: productId, source_id: sourceId } = rows[0]!;
    // A worker finishing L-1's source: it holds the products linking it (markSourceDone locks them first)…
    await other.query('BEGIN');
    await other.query(
      'SELECT 1 FROM products WHERE id IN (SELECT product_id FROM product_images WHERE source_id = $1) ORDER BY id FOR UPDATE',
      [sourceId],
    );
    // …while the supplier's new file changes that product's image URL.
    const changed = [{ ...batch[0]!, imageUrls: ['https://cdn.example.test/1-new.jpg'] }];
    const importing = ctx.db.transaction((tx) => writeProductBatch(tx, target, changed));
    // Wait until the import is blocked on a lock (it must be the product's).
    for (;;) {
      const { rows: waiting } = await other.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (waiting[0].n > 0) break;
    }
    // The worker goes on to mark its source done and rewrite the product's image_urls: it must not
    // find either locked by the import.
    await other.query(`SET LOCAL lock_timeout = '5s'`);
    const updated = await other.query(`UPDATE image_sources SET updated_at = now() WHERE id = $1`, [sourceId]);
    expect(updated.rowCount).toBe(1);
    await other.query(`UPDATE products SET updated_at = now() WHERE id = $1`, [productId]);
    await other.query('COMMIT');
    expect(await importing).toEqual({ productsUpserted: 0, imagesPending: 1 });
    // The import then moved L-1's link to the new URL's source; the old source is left as it was.
    const { rows: after } = await ctx.pool.query(
      `SELECT s.source_url FROM product_images pi JOIN image_sources s ON s.id = pi.source_id WHERE pi.product_id = $1`,
      [productId],
    );
    expect(after).toEqual([{ source_url: 'https://cdn.example.test/1-new.jpg' }]);
  });

  it('an import linking an existing source holds it FOR SHARE until it commits, so a worker finishing it cannot slip past the counts', async () => {
    const { rows } = await ctx.pool.query<{ id: string }>(`SELECT id FROM image_sources WHERE source_url = 'https://cdn.example.test/2.jpg'`);
    const sourceId = rows[0]!.id;
    await ctx.db.transaction(async (tx) => {
      // L-3 now shows L-2's picture too: a new link to a source a worker may be finishing right now.
      const shared = [{ ...batch[2]!, imageUrls: ['https://cdn.example.test/3.jpg', 'https://cdn.example.test/2.jpg'] }];
      expect(await writeProductBatch(tx, target, shared)).toEqual({ productsUpserted: 0, imagesPending: 0 });
      // The link's trigger counted the source in its current status; a worker's UPDATE must wait for
      // this commit (or the import for the worker's), else the worker's trigger would miss the new link.
      await other.query('BEGIN');
      await other.query(`SET LOCAL lock_timeout = '100ms'`);
      await expect(other.query(`UPDATE image_sources SET status = 'done' WHERE id = $1`, [sourceId])).rejects.toMatchObject({ code: '55P03' });
      await other.query('ROLLBACK');
    });
    await other.query(`UPDATE image_sources SET status = 'done' WHERE id = $1`, [sourceId]);
    expect(await keptCounts(ctx)).toEqual(await countsFromScratch(ctx));
  });
});
