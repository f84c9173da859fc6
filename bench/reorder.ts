import { refreshImageUrls } from '../src/db/refresh-image-urls.ts';
import { startTestEnvironment } from '../test/helpers/environment.ts';
import { importSheet, ingestScript, topStatements } from './ingest.ts';
import { round } from './measure.ts';
import { supplierSheet } from './spreadsheets.ts';

export interface ReorderResult {
  products: number;
  links: number;
  status: string;
  seconds: number;
  /** Sources the re-import created (imagesPending) and sources not done afterwards: both must be 0. */
  newSources: number;
  sourcesNotDone: number;
  /** Products whose image_urls follows the new order after the re-import's commit. */
  productsReordered: number;
  dbRoundTrips: number;
  dbSeconds: number;
  /** The re-import's heaviest statements: where its time goes. */
  top: ReturnType<typeof topStatements>;
  firstImportSeconds: number;
}

/**
 * A re-import that only reorders galleries: 10k products × 10 images imported through the normal path,
 * every source then marked done with a WebP (set-based, as if the worker had run), and the same file
 * with each gallery reversed imported again, timed. The goal: no download (no source pending, queued
 * or new) and the new order in image_urls when the import's last merge commits. Throws when a source
 * became pending: that would be a download, and the figure would be a lie.
 */
export async function benchReorder(products: number): Promise<ReorderResult> {
  const env = await startTestEnvironment({});
  const { ctx } = env;
  try {
    const script = await ingestScript();
    const first = await importSheet(ctx, script, 'bench-reorder', await supplierSheet(products, 'csv'), 'csv');
    if (first.summary.status !== 'done') throw new Error(`reorder: first import ${first.summary.status}: ${first.summary.error}`);
    await ctx.pool.query(`
      UPDATE image_sources
         SET status = 'done', checked_at = now(), s3_key = 'images/' || md5(source_url) || '.webp',
             url = 'https://media.bench.test/images/' || md5(source_url) || '.webp', width = 800, height = 800, bytes = 40000,
             content_hash = md5(source_url)`);
    const { rows: ids } = await ctx.pool.query<{ id: string }>(`SELECT id FROM products`);
    await refreshImageUrls(ctx.db, ids.map((row) => Number(row.id)));
    await ctx.pool.query('ANALYZE products, product_images, image_sources');
    const { rows: before } = await ctx.pool.query<{ sources: number }>(`SELECT count(*)::int AS sources FROM image_sources`);

    const again = await importSheet(ctx, script, 'bench-reorder', await supplierSheet(products, 'csv', 'reordered'), 'csv');
    const { rows: after } = await ctx.pool.query<{ sources: number; not_done: number; links: number; reordered: number }>(`
      SELECT (SELECT count(*)::int FROM image_sources) AS sources,
             (SELECT count(*)::int FROM image_sources WHERE status <> 'done') AS not_done,
             (SELECT count(*)::int FROM product_images) AS links,
             (SELECT count(*)::int FROM products p
               WHERE cardinality(p.image_urls) = 10
                 AND p.image_urls = ARRAY(SELECT s.url FROM product_images pi JOIN image_sources s ON s.id = pi.source_id
                                           WHERE pi.product_id = p.id ORDER BY pi.position)
                 AND p.image_urls[1] = (SELECT s.url FROM image_sources s
                                         WHERE s.source_url = 'https://images.supplier.example/p/' || ltrim(substr(p.sku, 5), '0') || '/10.jpg')) AS reordered`);
    const result = after[0]!;
    const newSources = result.sources - before[0]!.sources + again.summary.imagesPending;
    if (again.summary.status !== 'done' || newSources !== 0 || result.not_done !== 0) {
      throw new Error(
        `reorder: a reordering re-import must download nothing: status ${again.summary.status}, ${newSources} new sources, ${result.not_done} sources not done`,
      );
    }
    return {
      products,
      links: result.links,
      status: again.summary.status,
      seconds: round(again.wallMs / 1000),
      newSources,
      sourcesNotDone: result.not_done,
      productsReordered: result.reordered,
      dbRoundTrips: again.db?.calls ?? 0,
      dbSeconds: round((again.db?.ms ?? 0) / 1000),
      top: again.db ? topStatements(again.db.byStatement, 10) : [],
      firstImportSeconds: round(first.wallMs / 1000),
    };
  } finally {
    await env.stop();
  }
}
