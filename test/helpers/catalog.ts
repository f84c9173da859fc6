import { Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { importSpreadsheet } from '../../src/catalog/import-spreadsheet.ts';
import { registerUpload } from '../../src/catalog/register-upload.ts';
import type { AppContext } from '../../src/context.ts';

/**
 * Registers `body` for `supplier` and imports it straight from memory (.xlsx by its name, CSV otherwise);
 * `fullCatalog` as a full-catalog feed registers its bodies.
 */
export async function importFile(ctx: AppContext, supplier: string, fileName: string, body: Buffer | string, options: { fullCatalog?: boolean } = {}) {
  const bytes = Buffer.from(body);
  const { importId } = await registerUpload(ctx, { supplierCode: supplier, fileName, body: bytes, fullCatalog: options.fullCatalog });
  return importSpreadsheet(ctx, importId, Readable.from([bytes]), fileName.endsWith('.xlsx') ? 'xlsx' : 'csv');
}

/** Drops a file into the uploads bucket as a supplier's sync would; the next tick registers it. */
export async function dropUpload(ctx: AppContext, supplier: string, fileName: string, body: Buffer) {
  await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.config.buckets.uploads, Key: `uploads/${supplier}/${fileName}`, Body: body }));
}

/** The import's row errors and warnings, in the order it recorded them. */
export async function rowErrorsOf(ctx: AppContext, importId: number) {
  const { rows } = await ctx.pool.query(
    `SELECT row_number, "column", severity, message FROM import_row_errors WHERE import_id = $1 ORDER BY id`,
    [importId],
  );
  return rows;
}

/**
 * Runs `act` while the database session that inserts product `sku` terminates itself: a crash of the
 * importing connection mid-merge, with workers and other sessions untouched. The trigger and its
 * function are dropped afterwards, whatever `act` did.
 */
export async function withImportDyingAtSku<T>(ctx: AppContext, sku: string, act: () => Promise<T>): Promise<T> {
  await ctx.pool.query(`
    CREATE FUNCTION terminate_importing_session() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.sku = '${sku.replaceAll("'", "''")}' THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
      RETURN NEW;
    END $$`);
  await ctx.pool.query(
    `CREATE TRIGGER terminate_importing_session BEFORE INSERT ON products FOR EACH ROW EXECUTE FUNCTION terminate_importing_session()`,
  );
  try {
    return await act();
  } finally {
    await ctx.pool.query(`DROP TRIGGER terminate_importing_session ON products`);
    await ctx.pool.query(`DROP FUNCTION terminate_importing_session()`);
  }
}
