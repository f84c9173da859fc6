import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { refreshImageUrls } from '../db/refresh-image-urls.ts';
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
 * The source ids of `urls` (distinct), creating pending sources for URLs never seen before.
 * Returns how many were created: those are the downloads this batch adds.
 * Safe under concurrency: ON CONFLICT DO NOTHING waits for another transaction inserting the same URL
 * and skips it; the SELECT after it (a new statement) then sees that row. The SELECT holds the sources
 * FOR KEY SHARE until commit, which keeps media-gc from deleting one this import is about to link
 * (it skips locked rows) and does not conflict with workers updating them. A source media-gc deleted
 * just before is simply created again.
 */
async function ensureSources(tx: Executor, urls: readonly string[]) {
  const idByUrl = new Map<string, number>();
  let created = 0;
  let missing = [...new Set(urls)];
  const settle = (rows: ReadonlyArray<{ id: string; source_url: string }>) => {
    for (const row of rows) idByUrl.set(row.source_url, Number(row.id));
    missing = missing.filter((url) => !idByUrl.has(url));
  };
  // Known URLs (every one, on a re-import) cost one lookup; only new ones are inserted.
  for (let round = 0; missing.length > 0; round++) {
    if (round === 3) throw new Error(`image sources for ${missing.length} URLs vanished three times while being linked`);
    const { rows: found } = await tx.execute<{ id: string; source_url: string }>(sql`
      SELECT id, source_url FROM image_sources WHERE source_url = ANY(${sql.param(missing)}::text[]) FOR KEY SHARE`);
    settle(found);
    if (missing.length === 0) break;
    // Another transaction inserting one of these URLs makes ON CONFLICT wait, then skip it: the next
    // round's lookup finds its row.
    const { rows: inserted } = await tx.execute<{ id: string; source_url: string }>(sql`
      INSERT INTO image_sources (source_url)
      SELECT u FROM unnest(${sql.param(missing)}::text[]) AS u
      ON CONFLICT (source_url) DO NOTHING
      RETURNING id, source_url`);
    created += inserted.length;
    settle(inserted);
  }
  return { idByUrl, created };
}

/**
 * Makes the products' galleries match the file: a gallery is links (product, position) → source.
 * A reorder or a removal rewrites links only, and `image_urls` follows in the same commit with no
 * download; a URL never seen before becomes a pending source. Unchanged links are not touched.
 * Returns the products whose links changed and how many sources were created.
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
  const { idByUrl, created } = urls.length > 0 ? await ensureSources(tx, urls) : { idByUrl: new Map<string, number>(), created: 0 };
  const sourceIds = urls.map((url) => idByUrl.get(url)!);

  // Lock order: workers finishing a source lock its products, then the source (markSourceDone). Lock
  // the products whose links this batch changes first, in id order, so the import takes the same
  // order and cannot deadlock with them; products whose galleries are unchanged stay unlocked.
  const { rows: changed } = await tx.execute<{ id: string }>(sql`
    WITH wanted AS (
      SELECT * FROM unnest(${sql.param(imageProductIds)}::bigint[], ${sql.param(positions)}::smallint[], ${sql.param(sourceIds)}::bigint[])
               AS t(product_id, position, source_id)
    )
    SELECT p.id FROM products p
     WHERE p.id = ANY(${sql.param(productIds)}::bigint[])
       AND (EXISTS (SELECT 1 FROM wanted w
                     WHERE w.product_id = p.id
                       AND NOT EXISTS (SELECT 1 FROM product_images e
                                        WHERE e.product_id = w.product_id AND e.position = w.position AND e.source_id = w.source_id))
         OR EXISTS (SELECT 1 FROM product_images e
                     WHERE e.product_id = p.id
                       AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.product_id = e.product_id AND w.position = e.position)))
     ORDER BY p.id
       FOR UPDATE OF p`);
  const changedIds = changed.map((row) => Number(row.id));
  if (changedIds.length === 0) return { changedIds, created };

  await tx.execute(sql`
    DELETE FROM product_images pi
     WHERE pi.product_id = ANY(${sql.param(changedIds)}::bigint[])
       AND NOT EXISTS (
         SELECT 1 FROM unnest(${sql.param(imageProductIds)}::bigint[], ${sql.param(positions)}::smallint[]) AS keep(product_id, position)
          WHERE keep.product_id = pi.product_id AND keep.position = pi.position)`);
  if (urls.length > 0) {
    await tx.execute(sql`
      INSERT INTO product_images AS pi (product_id, position, source_id, import_id)
      SELECT t.product_id, t.position, t.source_id, ${target.importId}
        FROM unnest(${sql.param(imageProductIds)}::bigint[], ${sql.param(positions)}::smallint[], ${sql.param(sourceIds)}::bigint[])
             AS t(product_id, position, source_id)
       WHERE t.product_id = ANY(${sql.param(changedIds)}::bigint[])
      ON CONFLICT (product_id, position) DO UPDATE
         SET source_id = excluded.source_id, import_id = excluded.import_id, updated_at = now()
       WHERE pi.source_id IS DISTINCT FROM excluded.source_id`);
  }
  return { changedIds, created };
}

/**
 * Stages one batch of a file's products (see `importStagedProducts`), numbered from `firstOrd`.
 * `withImages` false: the file has no image column, and the merge leaves galleries alone.
 */
export async function stageProducts(tx: Executor, importId: number, firstOrd: number, products: readonly ProductRow[], withImages: boolean) {
  if (products.length === 0) return;
  await tx.execute(sql`
    INSERT INTO import_staged_products (import_id, ord, row_number, sku, title, fields, image_urls)
    SELECT ${importId}, ${firstOrd - 1} + t.ord, t.row_number, t.sku, t.title, t.fields,
           CASE WHEN ${withImages} THEN ARRAY(SELECT jsonb_array_elements_text(t.images)) END
      FROM unnest(${sql.param(products.map((p) => p.rowNumber))}::int[], ${sql.param(products.map((p) => p.sku))}::text[],
                  ${sql.param(products.map((p) => p.title))}::text[], ${sql.param(products.map((p) => JSON.stringify(p.fields)))}::jsonb[],
                  ${sql.param(products.map((p) => JSON.stringify(p.imageUrls)))}::jsonb[])
           WITH ORDINALITY AS t(row_number, sku, title, fields, images, ord)`);
}

/** The next staged products after `afterOrd`, in file order, and whether the file had an image column. */
export async function readStagedProducts(tx: Executor, importId: number, afterOrd: number, limit: number) {
  const { rows } = await tx.execute<{ ord: number; row_number: number; sku: string; title: string | null; fields: Record<string, string>; image_urls: string[] | null }>(sql`
    SELECT ord, row_number, sku, title, fields, image_urls FROM import_staged_products
     WHERE import_id = ${importId} AND ord > ${afterOrd}
     ORDER BY ord LIMIT ${limit}`);
  return {
    lastOrd: rows.at(-1)?.ord ?? afterOrd,
    withImages: rows[0]?.image_urls !== null,
    products: rows.map((r): ProductRow => ({ rowNumber: r.row_number, sku: r.sku, title: r.title, fields: r.fields, imageUrls: r.image_urls ?? [] })),
  };
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
 * Writes one batch of valid rows (SKUs unique within it): products, then their galleries, then
 * `image_urls` of the products whose galleries changed, so a reorder or removal shows at once.
 * `imagesPending`: sources this batch created, i.e. new downloads.
 */
export async function writeProductBatch(tx: Executor, target: BatchTarget, products: readonly ProductRow[]) {
  if (products.length === 0) return { productsUpserted: 0, imagesPending: 0 };
  const { ids, changed } = await upsertProducts(tx, target, products);
  if (!target.replaceImages) return { productsUpserted: changed, imagesPending: 0 };
  const { changedIds, created } = await syncProductImages(tx, target, ids, products);
  await refreshImageUrls(tx, changedIds);
  return { productsUpserted: changed, imagesPending: created };
}
