import type { AppContext } from '../context.ts';
import type { ImageStatus } from '../db/schema.ts';
import { AdminError, AdminErrorKind } from './errors.ts';

/** One picture of a product's gallery: the link's position and its source's state and WebP. */
export interface GalleryImage {
  position: number;
  /** The image source's id: what `requeue --ids` takes. */
  sourceId: number;
  /** The supplier's original URL. */
  sourceUrl: string;
  status: ImageStatus;
  errorKind: string | null;
  error: string | null;
  /** The WebP in our media bucket (kept while the source is re-checked or re-queued). */
  url: string | null;
  /** The WebP's dimensions and size. */
  width: number | null;
  height: number | null;
  bytes: number | null;
  /** ThumbHash of the picture, base64: a blurred preview to show while the WebP loads (null before sizes existed). */
  placeholder: string | null;
  /**
   * Every WebP size for a srcset, widths ascending, the full one (`url`) last. A source converted
   * before sizes existed lists its full WebP alone; one without a WebP, none.
   */
  variants: Array<{ url: string; width: number }>;
  /** The original as downloaded, before conversion (null for sources converted before it was recorded). */
  originalWidth: number | null;
  originalHeight: number | null;
  originalBytes: number | null;
}

export interface ProductListing {
  supplier: string;
  sku: string;
  title: string | null;
  fields: Record<string, string>;
  imageUrls: string[];
  /** The product's links by the state of their sources. */
  images: { total: number; done: number; failed: number };
  /** Every link in position order, whatever its source's state. */
  gallery: GalleryImage[];
  /** When a full-catalog import lacked it (kept, not deleted); null while the product is current. */
  discontinuedAt: Date | null;
  /** The full-catalog import that lacked it; null while the product is current. */
  discontinuedByImportId: number | null;
}

export interface ProductPage {
  products: ProductListing[];
  /** True when more products match than were returned; `next` continues after the last one. */
  truncated: boolean;
  next: string | null;
}

/** The products view's image-state filter. */
export const GalleryState = {
  /** Every image done (and at least one image). */
  done: 'done',
  /** At least one image still to be converted: pending, queued or processing. */
  pending: 'pending',
  /** At least one image failed. */
  failed: 'failed',
} as const;
export type GalleryState = (typeof GalleryState)[keyof typeof GalleryState];

export interface ProductFilter {
  supplier?: string;
  /** Products the import wrote (a link it set, or its title and fields). */
  importId?: number;
  /** Part of the SKU or the title, case-insensitive. */
  q?: string;
  state?: GalleryState;
  /** True: only discontinued products; false: only current ones; unset: both. */
  discontinued?: boolean;
  limit?: number;
  /** The previous page's `next`. */
  after?: string;
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

/** `q` as an ILIKE pattern matching it anywhere: its own `%`, `_` and `\` match themselves. */
const containsPattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

// Each state is a (semi-/anti-)join over the product's links, which the planner can run either way:
// per product along the (supplier, sku) order, or from the sources in that state (partial indexes).
const stateConditions: Record<GalleryState, string> = {
  done: `EXISTS (SELECT 1 FROM product_images pi WHERE pi.product_id = p.id)
     AND NOT EXISTS (SELECT 1 FROM product_images pi JOIN image_sources src ON src.id = pi.source_id
                      WHERE pi.product_id = p.id AND src.status <> 'done')`,
  pending: `EXISTS (SELECT 1 FROM product_images pi JOIN image_sources src ON src.id = pi.source_id
                     WHERE pi.product_id = p.id AND src.status IN ('pending', 'queued', 'processing'))`,
  failed: `EXISTS (SELECT 1 FROM product_images pi JOIN image_sources src ON src.id = pi.source_id
                    WHERE pi.product_id = p.id AND src.status = 'failed')`,
};

/**
 * One page of products with their fields, WebP URLs and gallery (each link's source: state, error,
 * WebP and original sizes, the WebP's sizes for a srcset and its placeholder) and whether a
 * full-catalog import discontinued it, filtered by supplier, import, SKU/title, image state and
 * discontinued or current.
 * Keyset pagination over the (supplier, sku) unique index: a page costs its own rows whatever the
 * catalog's size, and `after` (the previous page's `next`) continues where it stopped. The search
 * is `ILIKE '%q%'` on SKU and title, answered by one trigram index over both (migrations/0012).
 */
export async function listProducts(ctx: AppContext, filter: ProductFilter = {}): Promise<ProductPage> {
  const limit = filter.limit ?? 1000;
  const params: unknown[] = [limit + 1];
  const param = (value: unknown) => `$${params.push(value)}`;
  const where: string[] = [];
  if (filter.supplier !== undefined) where.push(`s.code = ${param(filter.supplier)}`);
  if (filter.importId !== undefined) {
    // An uncorrelated IN: one hashed set of the import's products (its links' index), probed per row.
    const id = param(filter.importId);
    where.push(`(p.last_import_id = ${id}::int OR p.id IN (SELECT pi.product_id FROM product_images pi WHERE pi.import_id = ${id}::int))`);
  }
  if (filter.q) {
    // The expression of products_search_trgm_idx, to the letter, so the planner can use it.
    where.push(`(p.sku || ' ' || coalesce(p.title, '')) ILIKE ${param(containsPattern(filter.q))}`);
  }
  if (filter.state) where.push(stateConditions[filter.state]);
  // Discontinued: products_discontinued_idx, a partial index in page order, holds only them, so a page
  // reads its own rows however few of the catalog they are. Current: nearly every product, read along
  // the unique index, the few discontinued skipped.
  if (filter.discontinued !== undefined) where.push(`p.discontinued_at IS ${filter.discontinued ? 'NOT NULL' : 'NULL'}`);
  if (filter.after) {
    const [supplierId, sku] = decodeCursor(filter.after);
    where.push(`(p.supplier_id, p.sku) > (${param(supplierId)}::int, ${param(sku)}::text)`);
  }
  const { rows } = await ctx.pool.query<ProductListing & { supplierId: number }>(
    `SELECT s.code AS supplier, p.supplier_id AS "supplierId", p.sku, p.title, p.fields, p.image_urls AS "imageUrls",
            json_build_object('total', g.total, 'done', g.done, 'failed', g.failed) AS images, g.gallery,
            p.discontinued_at AS "discontinuedAt", p.discontinued_by_import_id AS "discontinuedByImportId"
       FROM products p
       JOIN suppliers s ON s.id = p.supplier_id
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS total,
                count(*) FILTER (WHERE src.status = 'done')::int AS done,
                count(*) FILTER (WHERE src.status = 'failed')::int AS failed,
                coalesce(json_agg(json_build_object(
                  'position', pi.position, 'sourceId', src.id, 'sourceUrl', src.source_url, 'status', src.status,
                  'errorKind', src.error_kind, 'error', src.last_error, 'url', src.url,
                  'width', src.width, 'height', src.height, 'bytes', src.bytes, 'placeholder', src.placeholder,
                  'variants', CASE
                    WHEN src.variants IS NOT NULL THEN (
                      SELECT json_agg(json_build_object('url', v.value->>'url', 'width', (v.value->>'width')::int) ORDER BY v.n)
                        FROM jsonb_array_elements(src.variants) WITH ORDINALITY AS v(value, n))
                    WHEN src.url IS NOT NULL THEN json_build_array(json_build_object('url', src.url, 'width', src.width))
                    ELSE '[]'::json END,
                  'originalWidth', src.original_width, 'originalHeight', src.original_height, 'originalBytes', src.original_bytes
                ) ORDER BY pi.position), '[]') AS gallery
           FROM product_images pi JOIN image_sources src ON src.id = pi.source_id
          WHERE pi.product_id = p.id) g
      ${where.length > 0 ? `WHERE ${where.join('\n        AND ')}` : ''}
      ORDER BY p.supplier_id, p.sku
      LIMIT $1`,
    params,
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
