import type { AppContext } from '../../context.ts';
import { AdminError, AdminErrorKind } from '../errors.ts';
import { supplierSettingsColumns, type SupplierSettings } from './supplier-settings.ts';

/** The supplier's settings, or undefined when no supplier has that code. */
export async function findSupplier(ctx: AppContext, code: string): Promise<SupplierSettings | undefined> {
  const { rows } = await ctx.pool.query<SupplierSettings>(`SELECT ${supplierSettingsColumns} FROM suppliers s WHERE s.code = $1`, [code]);
  return rows[0];
}

/** The supplier's settings; an AdminError (not found) when there is no such supplier. */
export async function showSupplier(ctx: AppContext, code: string): Promise<SupplierSettings> {
  const supplier = await findSupplier(ctx, code);
  if (!supplier) throw new AdminError(AdminErrorKind.notFound, `no supplier ${JSON.stringify(code)}: create it with supplier set ${code}`);
  return supplier;
}
