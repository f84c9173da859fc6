import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { refreshImageUrls } from '../db/refresh-image-urls.ts';
import { ImageStatus } from '../db/schema.ts';
import type { ProductRow, RowIssue } from './row-validation.ts';

type Executor = Pick<Db, 'execute'>;

export interface BatchTarget {
  supplierId: number;
  importId: number;
  /** False when the file has no image column: existing images are then left as they are. */
  replaceImages: boolean;
}

/**
 * Upserts products by (supplier, sku) in one statement. A row is rewritten only when its title or
 * fields changed, so re-importing the same file leaves `updated_at` alone. Returns every product's id
 * (inserted, changed or untouched) in input order, and how many were inserted or changed.
 */
async function upsertProducts(tx: Executor, target: BatchTarget, products: readonly ProductRow[]) {
  const { rows } = await tx.execute<{ id: string; changed: boolean }>(sql`
    WITH input AS (
      SELECT * FROM unnest(${sql.param(products.map((p) => p.sku))}::text[],
                           ${sql.param(products.map((p) => p.title))}::text[],
                           ${sql.param(products.map((p) => JSON.stringify(p.fields)))}::jsonb[])
               WITH ORDINALITY AS t(sku, title, fields, ord)
    ), upserted AS (
      -- Unchanged rows are filtered out before the INSERT: ON CONFLICT locks every conflicting row even
      -- when its WHERE skips the update, and a re-import would hold the locks of the whole file,
      -- stalling workers finishing images of those products until it commits.
      INSERT INTO products AS p (supplier_id, sku, title, fields, last_import_id)
      SELECT ${target.supplierId}, i.sku, i.title, i.fields, ${target.importId} FROM input i
       WHERE NOT EXISTS (
         SELECT 1 FROM products e
          WHERE e.supplier_id = ${target.supplierId} AND e.sku = i.sku
            AND (e.title, e.fields) IS NOT DISTINCT FROM (i.title, i.fields))
      ON CONFLICT (supplier_id, sku) DO UPDATE
         SET title = excluded.title, fields = excluded.fields, last_import_id = excluded.last_import_id, updated_at = now()
       WHERE (p.title, p.fields) IS DISTINCT FROM (excluded.title, excluded.fields)
      RETURNING p.id, p.sku
    )
    -- The outer SELECT sees products as they were before this statement: untouched rows come from
    -- there, inserted and changed ones from RETURNING.
    SELECT coalesce(u.id, existing.id) AS id, u.id IS NOT NULL AS changed
      FROM input i
      LEFT JOIN upserted u ON u.sku = i.sku
      LEFT JOIN products existing ON existing.supplier_id = ${target.supplierId} AND existing.sku = i.sku
     ORDER BY i.ord`);
  return { ids: rows.map((row) => Number(row.id)), changed: rows.filter((row) => row.changed).length };
}

/**
 * Makes the products' images match the file: positions the file no longer has are deleted, new
 * positions are inserted pending, a changed source URL resets that image to pending (attempts and
 * every result cleared); an unchanged URL is not touched, so a done image stays done.
 * Returns how many images became pending.
 */
async function syncProductImages(tx: Executor, target: BatchTarget, productIds: readonly number[], products: readonly ProductRow[]) {
  const imageProductIds: number[] = [];
  const positions: number[] = [];
  const urls: string[] = [];
  products.forEach((product, i) => {
    product.imageUrls.forEach((url, index) => {
      imageProductIds.push(productIds[i]!);
      positions.push(index + 1);
      urls.push(url);
    });
  });

  // Lock order: workers finishing an image lock its product, then the image (markImageDone). Lock the
  // products whose images this batch changes first, in id order, so the import takes the same order
  // and cannot deadlock with them; products whose images are unchanged stay unlocked.
  await tx.execute(sql`
    SELECT p.id FROM products p
     WHERE p.id = ANY(${sql.param(productIds)}::bigint[])
       AND (EXISTS (
              SELECT 1 FROM unnest(${sql.param(imageProductIds)}::bigint[], ${sql.param(positions)}::smallint[], ${sql.param(urls)}::text[])
                       AS t(product_id, position, source_url)
               WHERE t.product_id = p.id
                 AND NOT EXISTS (SELECT 1 FROM product_images e
                                  WHERE e.product_id = t.product_id AND e.position = t.position AND e.source_url = t.source_url))
         OR EXISTS (
              SELECT 1 FROM product_images e
               WHERE e.product_id = p.id
                 AND NOT EXISTS (SELECT 1 FROM unnest(${sql.param(imageProductIds)}::bigint[], ${sql.param(positions)}::smallint[]) AS k(product_id, position)
                                  WHERE k.product_id = e.product_id AND k.position = e.position)))
     ORDER BY p.id
       FOR UPDATE OF p`);

  await tx.execute(sql`
    DELETE FROM product_images pi
     WHERE pi.product_id = ANY(${sql.param(productIds)}::bigint[])
       AND NOT EXISTS (
         SELECT 1 FROM unnest(${sql.param(imageProductIds)}::bigint[], ${sql.param(positions)}::smallint[]) AS keep(product_id, position)
          WHERE keep.product_id = pi.product_id AND keep.position = pi.position)`);
  if (urls.length === 0) return 0;

  const { rows } = await tx.execute(sql`
    INSERT INTO product_images AS pi (product_id, position, source_url, import_id)
    SELECT t.product_id, t.position, t.source_url, ${target.importId}
      FROM unnest(${sql.param(imageProductIds)}::bigint[], ${sql.param(positions)}::smallint[], ${sql.param(urls)}::text[])
           AS t(product_id, position, source_url)
     -- As for products: leave unchanged images unlocked, so workers holding them are not stalled.
     WHERE NOT EXISTS (
       SELECT 1 FROM product_images e
        WHERE e.product_id = t.product_id AND e.position = t.position AND e.source_url = t.source_url)
    ON CONFLICT (product_id, position) DO UPDATE
       SET source_url = excluded.source_url, import_id = excluded.import_id, status = ${ImageStatus.pending},
           attempts = 0, lease_until = NULL, error_kind = NULL, last_error = NULL, s3_key = NULL, url = NULL,
           width = NULL, height = NULL, bytes = NULL, content_hash = NULL, source_etag = NULL, updated_at = now()
     WHERE pi.source_url IS DISTINCT FROM excluded.source_url
    RETURNING 1`);
  return rows.length;
}

/** Appends lines to the import report. */
export async function insertRowIssues(tx: Executor, importId: number, issues: readonly RowIssue[]): Promise<void> {
  if (issues.length === 0) return;
  await tx.execute(sql`
    INSERT INTO import_row_errors (import_id, row_number, "column", severity, message)
    SELECT ${importId}, row_number, col, severity, message
      FROM unnest(${sql.param(issues.map((i) => i.rowNumber))}::int[], ${sql.param(issues.map((i) => i.column))}::text[],
                  ${sql.param(issues.map((i) => i.severity))}::text[], ${sql.param(issues.map((i) => i.message))}::text[])
           AS t(row_number, col, severity, message)`);
}

/**
 * Writes one batch of valid rows (SKUs unique within it): products, then their images, then
 * `image_urls` for those products so a removed or reset image leaves the array at once.
 */
export async function writeProductBatch(tx: Executor, target: BatchTarget, products: readonly ProductRow[]) {
  if (products.length === 0) return { productsUpserted: 0, imagesPending: 0 };
  const { ids, changed } = await upsertProducts(tx, target, products);
  if (!target.replaceImages) return { productsUpserted: changed, imagesPending: 0 };
  const imagesPending = await syncProductImages(tx, target, ids, products);
  await refreshImageUrls(tx, ids);
  return { productsUpserted: changed, imagesPending };
}
