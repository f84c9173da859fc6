import type { AppContext } from '../context.ts';

export interface ProductListing {
  supplier: string;
  sku: string;
  title: string | null;
  imageUrls: string[];
  images: { total: number; done: number; failed: number };
}

/** Products with their WebP URLs (in position order) and how many of their images are done. */
export async function listProducts(ctx: AppContext, options: { supplier?: string; limit?: number } = {}): Promise<ProductListing[]> {
  const { rows } = await ctx.pool.query<ProductListing>(
    `SELECT s.code AS supplier, p.sku, p.title, p.image_urls AS "imageUrls",
            json_build_object(
              'total', count(pi.id)::int,
              'done', count(pi.id) FILTER (WHERE pi.status = 'done')::int,
              'failed', count(pi.id) FILTER (WHERE pi.status = 'failed')::int) AS images
       FROM products p
       JOIN suppliers s ON s.id = p.supplier_id
       LEFT JOIN product_images pi ON pi.product_id = p.id
      WHERE ($1::text IS NULL OR s.code = $1)
      GROUP BY s.code, p.id
      ORDER BY s.code, p.sku
      LIMIT $2`,
    [options.supplier ?? null, options.limit ?? 1000],
  );
  return rows;
}
