import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { ProductRow } from './row-validation.ts';

type Executor = Pick<Db, 'execute'>;

export const ProductChange = { new: 'new', changed: 'changed', unchanged: 'unchanged' } as const;
export type ProductChange = (typeof ProductChange)[keyof typeof ProductChange];

/** What importing one batch would do to the catalog, counted the way `writeProductBatch` decides it. */
export interface BatchComparison {
  /** Per input product, in input order: new SKU, changed title/fields, or unchanged. */
  changes: ProductChange[];
  /** Per input product: its gallery (position → source URL) would change. */
  galleryChanged: boolean[];
  links: { new: number; changed: number; removed: number; unchanged: number };
  /** URLs of this batch no image source has yet: each would be a download. */
  unknownUrls: string[];
}

/**
 * Compares a batch of products (SKUs unique within it) with what the supplier has now, reading only:
 * products by (supplier, sku) — the same `IS DISTINCT FROM` test the upsert uses — their links
 * (product_images → image_sources) by position, and which URLs already have a source.
 * `supplierId` undefined: a supplier not created yet, so every product and link is new.
 * `replaceImages` false (the file has no image column): galleries are left alone, nothing is removed.
 */
export async function compareWithCatalog(
  db: Executor,
  supplierId: number | undefined,
  products: readonly ProductRow[],
  replaceImages: boolean,
): Promise<BatchComparison> {
  const { rows: existing } = await db.execute<{ id: string | null; changed: boolean }>(sql`
    SELECT e.id, (e.title, e.fields) IS DISTINCT FROM (i.title, i.fields) AS changed
      FROM unnest(${sql.param(products.map((p) => p.sku))}::text[],
                  ${sql.param(products.map((p) => p.title))}::text[],
                  ${sql.param(products.map((p) => JSON.stringify(p.fields)))}::jsonb[])
           WITH ORDINALITY AS i(sku, title, fields, ord)
      LEFT JOIN products e ON e.supplier_id = ${supplierId ?? null}::int AND e.sku = i.sku
     ORDER BY i.ord`);
  const productIds = existing.map((row) => (row.id === null ? undefined : Number(row.id)));
  const changes = existing.map((row) => (row.id === null ? ProductChange.new : row.changed ? ProductChange.changed : ProductChange.unchanged));

  const links = { new: 0, changed: 0, removed: 0, unchanged: 0 };
  const galleryChanged = products.map(() => false);
  if (!replaceImages) return { changes, galleryChanged, links, unknownUrls: [] };

  const known = productIds.filter((id) => id !== undefined);
  const { rows: linked } = known.length === 0
    ? { rows: [] }
    : await db.execute<{ product_id: string; position: number; source_url: string }>(sql`
        SELECT pi.product_id, pi.position, s.source_url
          FROM product_images pi JOIN image_sources s ON s.id = pi.source_id
         WHERE pi.product_id = ANY(${sql.param(known)}::bigint[])`);
  const gallery = new Map<number, Map<number, string>>();
  for (const link of linked) {
    const id = Number(link.product_id);
    if (!gallery.has(id)) gallery.set(id, new Map());
    gallery.get(id)!.set(link.position, link.source_url);
  }

  products.forEach((product, i) => {
    const current = gallery.get(productIds[i] ?? -1) ?? new Map<number, string>();
    product.imageUrls.forEach((url, index) => {
      const before = current.get(index + 1);
      if (before === undefined) links.new += 1;
      else if (before !== url) links.changed += 1;
      else links.unchanged += 1;
    });
    const removed = [...current.keys()].filter((position) => position > product.imageUrls.length).length;
    links.removed += removed;
    galleryChanged[i] = removed > 0 || product.imageUrls.some((url, index) => current.get(index + 1) !== url);
  });

  const urls = [...new Set(products.flatMap((p) => p.imageUrls))];
  const { rows: sources } = urls.length === 0
    ? { rows: [] }
    : await db.execute<{ source_url: string }>(sql`
        SELECT source_url FROM image_sources WHERE source_url = ANY(${sql.param(urls)}::text[])`);
  const withSource = new Set(sources.map((row) => row.source_url));
  return { changes, galleryChanged, links, unknownUrls: urls.filter((url) => !withSource.has(url)) };
}
