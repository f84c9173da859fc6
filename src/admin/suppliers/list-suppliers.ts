import type { AppContext } from '../../context.ts';
import { supplierSettingsColumns, type SupplierSettings } from './supplier-settings.ts';

export interface SupplierListing extends SupplierSettings {
  products: number;
  imports: number;
}

/** Every supplier with its settings and how many products and imports it has, by code. */
export async function listSuppliers(ctx: AppContext): Promise<SupplierListing[]> {
  const { rows } = await ctx.pool.query<SupplierListing>(
    `SELECT ${supplierSettingsColumns},
            (SELECT count(*)::int FROM products p WHERE p.supplier_id = s.id) AS products,
            (SELECT count(*)::int FROM imports i WHERE i.supplier_id = s.id) AS imports
       FROM suppliers s
      ORDER BY s.code`,
  );
  return rows;
}
