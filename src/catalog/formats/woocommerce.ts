import { readPlatformRows, type PlatformColumns } from './planned-rows.ts';

/**
 * WooCommerce's product CSV (its importer's schema: ID, Type, SKU, Name, …, Images, Parent, …).
 * `Images` is a comma-separated list. Variations are rows of their own, keyed by their SKU, and keep
 * `Parent` and `Type` as fields. A row without SKU is keyed `id:<ID>`, as WooCommerce's own `Parent`
 * and `Grouped products` columns refer to a product by ID.
 */
export const wooCommerceColumns: PlatformColumns = {
  platform: 'WooCommerce',
  sku: 'SKU',
  title: 'Name',
  images: ['Images'],
  idFallback: 'ID',
};

export const readWooCommerce = readPlatformRows(wooCommerceColumns);
