import type { AppContext } from '../src/context.ts';
import { createLocalScheduleControl } from '../src/local/local-schedule.ts';
import { runTick, RunTrigger } from '../src/scheduled/run-tick.ts';
import { createAdminApp } from '../src/web/admin-app.ts';
import { startTestEnvironment } from '../test/helpers/environment.ts';
import { round, timed } from './measure.ts';
import { seedPendingImages } from './seed.ts';

export interface ProductsApiResult {
  products: number;
  images: number;
  /** Best wall time of five requests of a page of 50 through the admin app (routing, validation, SQL, JSON), ms. */
  pages: Record<string, { ms: number; returned: number }>;
}

const token = 'bench-products-token-0123456789';

/**
 * `GET /api/products` over a catalog of `products` products with four images each, as the workers
 * leave it (80% of the sources done, 1% failed, the rest pending): the first page, one in the middle,
 * a search, and each image-state filter. Seeded set-based, then ANALYZEd as autovacuum would.
 */
export async function benchProductsApi(products: number): Promise<ProductsApiResult> {
  const env = await startTestEnvironment();
  const ctx: AppContext = env.ctx;
  try {
    const urls = Array.from({ length: products * 4 }, (_, i) => `https://cdn.bench.test/p/${i}.jpg`);
    await seedPendingImages(ctx, 'bench', urls, 4);
    await ctx.pool.query(
      `UPDATE image_sources
          SET status = CASE WHEN id % 100 = 0 THEN 'failed' ELSE 'done' END,
              error_kind = CASE WHEN id % 100 = 0 THEN 'http_4xx' END, last_error = CASE WHEN id % 100 = 0 THEN 'HTTP 404' END,
              url = CASE WHEN id % 100 <> 0 THEN 'https://media.bench.test/' || id || '.webp' END,
              width = 800, height = 600, bytes = 40000, original_width = 1600, original_height = 1200, original_bytes = 300000
        WHERE id % 100 < 81`,
    );
    await ctx.pool.query('ANALYZE products; ANALYZE image_sources; ANALYZE product_images');
    const schedule = createLocalScheduleControl(ctx, () => runTick(ctx, RunTrigger.manual));
    const app = createAdminApp(ctx, { schedule, token });
    const middle = Buffer.from(JSON.stringify([1, `bench-${Math.floor(products / 2)}`])).toString('base64url');
    const queries = {
      first: '',
      middle: `&after=${middle}`,
      'search "duct 4242" (title, trigram)': '&q=duct%204242',
      'search "h-77" (SKU, trigram)': '&q=h-77',
      failed: '&state=failed',
      pending: '&state=pending',
      done: '&state=done',
    };
    const pages: ProductsApiResult['pages'] = {};
    for (const [name, query] of Object.entries(queries)) {
      let best = Infinity;
      let returned = 0;
      for (let i = 0; i < 5; i++) {
        const run = await timed(async () => {
          const response = await app.request(`/api/products?limit=50${query}`, { headers: { authorization: `Bearer ${token}` } });
          if (!response.ok) throw new Error(`GET /api/products${query}: ${response.status} ${await response.text()}`);
          return (await response.json()) as { products: unknown[] };
        });
        best = Math.min(best, run.wallMs);
        returned = run.value.products.length;
      }
      pages[name] = { ms: round(best, 1), returned };
    }
    return { products, images: urls.length, pages };
  } finally {
    await env.stop();
  }
}
