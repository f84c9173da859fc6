import { readPlatformRows, type PlatformColumns } from './planned-rows.ts';

/**
 * PrestaShop's product import CSV (semicolon-separated: `Product ID;Active (0/1);Name *;…;Reference #;…;
 * Image URLs (x,y,z...);…`). `Reference #` is the SKU; `Product ID` is the shop's own number and only
 * keys a product (`id:<Product ID>`) that has no reference. The image column is comma-separated.
 */
export const prestaShopColumns: PlatformColumns = {
  platform: 'PrestaShop',
  sku: 'Reference #',
  title: 'Name *',
  images: ['Image URLs (x,y,z...)'],
  idFallback: 'Product ID',
};

export const readPrestaShop = readPlatformRows(prestaShopColumns);
