import { sql } from 'drizzle-orm';
import type { Db } from './client.ts';

type Executor = Pick<Db, 'execute'>;

/**
 * Rewrites `products.image_urls` from the products' links, in position order: each linked source's
 * WebP URL once (two source URLs with the same bytes share one WebP, shown at the first position).
 * A source with a WebP keeps it while it is re-checked or re-queued, so the product keeps its picture.
 * Called in the same transaction as the change that affects them (an import, a finished source), so
 * the array never disagrees with the links. Rows whose array is already right are not touched.
 */
export async function refreshImageUrls(executor: Executor, productIds: readonly number[]): Promise<void> {
  if (productIds.length === 0) return;
  await executor.execute(sql`
    UPDATE products p
       SET image_urls = fresh.urls, updated_at = now()
      FROM (
        SELECT p2.id,
               coalesce((SELECT array_agg(first.url ORDER BY first.position)
                           FROM (SELECT s.url, min(pi.position) AS position
                                   FROM product_images pi JOIN image_sources s ON s.id = pi.source_id
                                  WHERE pi.product_id = p2.id AND s.url IS NOT NULL
                                  GROUP BY s.url) first), '{}'::text[]) AS urls
          FROM products p2
         WHERE p2.id = ANY(${sql.param(productIds)}::bigint[])
      ) fresh
     WHERE p.id = fresh.id AND p.image_urls IS DISTINCT FROM fresh.urls`);
}
