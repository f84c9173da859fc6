import type { AppContext } from '../../src/context.ts';

/**
 * Inserts a supplier's product with its gallery straight into the tables, for tests of the queue and
 * worker that should not depend on spreadsheet parsing: one pending source per URL not seen before,
 * linked at positions 1..n. Returns the source ids (`imageIds`) in position order.
 */
export async function seedProduct(ctx: AppContext, supplier: string, sku: string, urls: string[]): Promise<{ productId: number; imageIds: number[] }> {
  const s = await ctx.pool.query<{ id: number }>(
    `INSERT INTO suppliers (code, name) VALUES ($1, $1) ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id`,
    [supplier],
  );
  const p = await ctx.pool.query<{ id: string }>(
    `INSERT INTO products (supplier_id, sku, title) VALUES ($1, $2, $2) RETURNING id`,
    [s.rows[0]!.id, sku],
  );
  const productId = Number(p.rows[0]!.id);
  const imageIds: number[] = [];
  for (const [index, url] of urls.entries()) {
    const i = await ctx.pool.query<{ id: string }>(
      `WITH fresh AS (INSERT INTO image_sources (source_url) VALUES ($1) ON CONFLICT (source_url) DO NOTHING RETURNING id)
       SELECT id FROM fresh UNION ALL SELECT id FROM image_sources WHERE source_url = $1`,
      [url],
    );
    const sourceId = Number(i.rows[0]!.id);
    await ctx.pool.query(`INSERT INTO product_images (product_id, position, source_id) VALUES ($1, $2, $3)`, [productId, index + 1, sourceId]);
    imageIds.push(sourceId);
  }
  return { productId, imageIds };
}

/** The image source row. */
export async function imageRow(ctx: AppContext, imageId: number) {
  const { rows } = await ctx.pool.query(`SELECT * FROM image_sources WHERE id = $1`, [imageId]);
  return rows[0];
}

export async function productImageUrls(ctx: AppContext, productId: number): Promise<string[]> {
  const { rows } = await ctx.pool.query<{ image_urls: string[] }>(`SELECT image_urls FROM products WHERE id = $1`, [productId]);
  return rows[0]!.image_urls;
}
