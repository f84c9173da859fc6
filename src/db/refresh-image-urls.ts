import { sql } from 'drizzle-orm';
import type { Db } from './client.ts';

type Executor = Pick<Db, 'execute'>;

/**
 * Rewrites `products.image_urls` from the done images, in position order. Called in the same
 * transaction as the change that affects them (an import, a finished image), so the array never
 * disagrees with product_images. Rows whose array is already right are not touched.
 */
export async function refreshImageUrls(executor: Executor, productIds: readonly number[]): Promise<void> {
  if (productIds.length === 0) return;
  await executor.execute(sql`
    UPDATE products p
       SET image_urls = fresh.urls, updated_at = now()
      FROM (
        SELECT p2.id,
               coalesce(array_agg(pi.url ORDER BY pi.position) FILTER (WHERE pi.url IS NOT NULL), '{}'::text[]) AS urls
          FROM products p2
          LEFT JOIN product_images pi ON pi.product_id = p2.id AND pi.status = 'done'
         WHERE p2.id = ANY(${sql.param(productIds)}::bigint[])
         GROUP BY p2.id
      ) fresh
     WHERE p.id = fresh.id AND p.image_urls IS DISTINCT FROM fresh.urls`);
}
