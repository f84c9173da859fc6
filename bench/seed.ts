import type { AppContext } from '../src/context.ts';

/**
 * Inserts products with pending images in two set-based statements: `imagesPerProduct` consecutive
 * URLs per product. Bench-sized (100k rows in about a second), unlike the row-by-row test helper.
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
    `INSERT INTO product_images (product_id, position, source_url)
     SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::text[])`,
    [productIds, positions, urls],
  );
}
