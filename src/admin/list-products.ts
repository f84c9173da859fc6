import type { AppContext } from '../context.ts';
import { AdminError, AdminErrorKind } from './errors.ts';

export interface ProductListing {
  supplier: string;
  sku: string;
  title: string | null;
  fields: Record<string, string>;
  imageUrls: string[];
  /** The product's links by the state of their sources. */
  images: { total: number; done: number; failed: number };
}

export interface ProductPage {
  products: ProductListing[];
  /** True when more products match than were returned; `next` continues after the last one. */
  truncated: boolean;
  next: string | null;
}

const encodeCursor = (supplierId: number, sku: string) => Buffer.from(JSON.stringify([supplierId, sku])).toString('base64url');

function decodeCursor(cursor: string): [number, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && Number.isInteger(value[0]) && typeof value[1] === 'string') return [value[0], value[1]];
  } catch {
    // reported below
  }
  throw new AdminError(AdminErrorKind.invalidRequest, `not a products cursor: ${JSON.stringify(cursor)}`);
}

/**
 * One page of products with their WebP URLs (in position order) and how many of their images are done.
 * Keyset pagination over the (supplier, sku) unique index: a page costs its own rows whatever the
 * catalog's size, and `after` (the previous page's `next`) continues where it stopped.
 */
export async function listProducts(
  ctx: AppContext,
  options: { supplier?: string; limit?: number; after?: string } = {},
): Promise<ProductPage> {
  const limit = options.limit ?? 1000;
  const [afterSupplier, afterSku] = options.after ? decodeCursor(options.after) : [null, null];
  const { rows } = await ctx.pool.query<ProductListing & { supplierId: number }>(
    `SELECT s.code AS supplier, p.supplier_id AS "supplierId", p.sku, p.title, p.fields, p.image_urls AS "imageUrls",
            json_build_object('total', counts.total, 'done', counts.done, 'failed', counts.failed) AS images
       FROM products p
       JOIN suppliers s ON s.id = p.supplier_id
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS total,
                count(*) FILTER (WHERE src.status = 'done')::int AS done,
                count(*) FILTER (WHERE src.status = 'failed')::int AS failed
           FROM product_images pi JOIN image_sources src ON src.id = pi.source_id
          WHERE pi.product_id = p.id) counts
      WHERE ($1::text IS NULL OR s.code = $1)
        AND ($3::int IS NULL OR (p.supplier_id, p.sku) > ($3::int, $4::text))
      ORDER BY p.supplier_id, p.sku
      LIMIT $2`,
    [options.supplier ?? null, limit + 1, afterSupplier, afterSku],
  );
  const truncated = rows.length > limit;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    products: page.map(({ supplierId: _, ...product }) => product),
    truncated,
    next: truncated && last ? encodeCursor(last.supplierId, last.sku) : null,
  };
}
