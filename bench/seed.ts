import type { AppContext } from '../src/context.ts';

/**
 * Inserts products with pending images in three set-based statements: products, a pending source per
 * URL not seen before, and links with `imagesPerProduct` consecutive URLs per product. Bench-sized
 * (100k rows in about a second), unlike the row-by-row test helper.
 */
export async function seedPendingImages(ctx: AppContext, supplier: string, urls: readonly string[], imagesPerProduct: number) {
  const productCount = Math.ceil(urls.length / imagesPerProduct);
  const { rows: products } = await ctx.pool.query<{ id: string }>(
    `WITH s AS (
       INSERT INTO suppliers (code, name) VALUES ($1, $1)
       ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id
     )
     INSERT INTO products (supplier_id, sku, title)
     SELECT s.id, $1 || '-' || g, 'Bench product ' || g FROM s, generate_series(1, $2::int) AS g
     ORDER BY g
     RETURNING id`,
    [supplier, productCount],
  );
  const productIds = urls.map((_, i) => products[Math.floor(i / imagesPerProduct)]!.id);
  const positions = urls.map((_, i) => (i % imagesPerProduct) + 1);
  await ctx.pool.query(
    `INSERT INTO image_sources (source_url) SELECT DISTINCT u FROM unnest($1::text[]) AS u ON CONFLICT (source_url) DO NOTHING`,
    [urls],
  );
  await ctx.pool.query(
    `INSERT INTO product_images (product_id, position, source_id)
     SELECT t.product_id, t.position, s.id
       FROM unnest($1::bigint[], $2::smallint[], $3::text[]) AS t(product_id, position, source_url)
       JOIN image_sources s ON s.source_url = t.source_url`,
    [productIds, positions, urls],
  );
}
