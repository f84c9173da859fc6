import { SupplierFormat } from '../../db/schema.ts';
import type { PlatformFormat } from './format-reader.ts';

/** Headers as platforms write them, lower-cased; each platform needs all of `all` and one of `any`. */
const signatures: ReadonlyArray<{ format: PlatformFormat; all: readonly string[]; any: readonly string[] }> = [
  { format: SupplierFormat.shopify, all: ['handle'], any: ['body (html)', 'variant sku', 'variant price', 'image src', 'option1 name'] },
  { format: SupplierFormat.magento, all: ['sku', 'store_view_code'], any: ['product_type', 'attribute_set_code', 'product_websites'] },
  { format: SupplierFormat.woocommerce, all: ['id', 'type', 'sku', 'name'], any: ['regular price', 'parent', 'images', 'is featured?'] },
  { format: SupplierFormat.prestashop, all: ['reference #'], any: ['name *', 'image urls (x,y,z...)', 'active (0/1)'] },
];

/**
 * The platform whose export the header row is, from headers only that platform writes; `generic`
 * for anything else. Exact headers (case aside), not synonyms: a generic file with a `Handle` or
 * `sku` column must not be read as Shopify or Magento.
 */
export function detectPlatform(headers: readonly string[]): PlatformFormat {
  const present = new Set(headers.map((header) => header.trim().toLowerCase()));
  const match = signatures.find((s) => s.all.every((h) => present.has(h)) && s.any.some((h) => present.has(h)));
  return match?.format ?? SupplierFormat.generic;
}
