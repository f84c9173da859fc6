import { assertSupplierCode } from '../../catalog/upload-key.ts';
import type { AppContext } from '../../context.ts';
import type { ColumnMapping, SupplierFetchLimits } from '../../db/schema.ts';
import { supplierSettingsColumns, type SupplierSettings, type SupplierSettingsChange } from './supplier-settings.ts';

export interface SupplierSettingsUpdate {
  supplier: SupplierSettings;
  /** The supplier did not exist and was created with these settings. */
  created: boolean;
  /** Format, mapping or base URL changed: the next upload of a file imported before is imported again. */
  settingsChanged: boolean;
}

const mappingFields = ['sku', 'title', 'images'] as const;

/**
 * Applies a settings change (already validated with `supplierSettingsChange`), creating the supplier
 * when it is new. One statement: concurrent changes to different fields of one supplier both land,
 * because the mapping is merged in SQL (`||`, then `-` for the cleared keys), never read and rewritten.
 * `settings_updated_at` moves only when format, mapping or base URL really change (a rename or new
 * fetch limits leave it). Fetch limits apply to the next download; none is restarted. Feed settings
 * leave it too; a new feed URL forgets the old one's validators and failures, so the next tick fetches it whole.
 *
 * @example
 * await updateSupplierSettings(ctx, 'magento-eu', { format: 'magento', imageBaseUrl: 'https://shop.example/media/catalog/product' });
 */
export async function updateSupplierSettings(ctx: AppContext, code: string, change: SupplierSettingsChange): Promise<SupplierSettingsUpdate> {
  assertSupplierCode(code);
  const set: ColumnMapping = {};
  const cleared: string[] = [];
  for (const field of mappingFields) {
    const value = change[field];
    if (value === null) cleared.push(field);
    else if (value !== undefined) set[field] = value;
  }
  const baseUrlGiven = change.imageBaseUrl !== undefined;
  // Fetch limits are merged like the mapping; they decide how politely images are fetched, not how
  // files are read, so they leave settings_updated_at alone (no re-import).
  const limitsSet: SupplierFetchLimits = {};
  const limitsCleared: string[] = [];
  for (const field of ['maxConcurrency', 'maxRate'] as const) {
    const value = change[field];
    if (value === null) limitsCleared.push(field);
    else if (value !== undefined) limitsSet[field] = value;
  }
  const { rows } = await ctx.pool.query<SupplierSettings & { created: boolean; settingsChanged: boolean }>(
    `INSERT INTO suppliers AS s (code, name, format, column_mapping, image_base_url, fetch_limits, feed_url, feed_interval_seconds, feed_enabled, feed_headers,
                                feed_full_catalog)
     VALUES ($1::text, coalesce($2::text, $1::text), coalesce($3::text, 'auto'), $4::jsonb, $5::text, $8::jsonb,
             $10::text, $12::integer, coalesce($14::boolean, true), coalesce($15::jsonb, '{}'), coalesce($17::boolean, false))
     ON CONFLICT (code) DO UPDATE
        SET name = coalesce($2, s.name),
            feed_url = CASE WHEN $11::boolean THEN $10::text ELSE s.feed_url END,
            feed_interval_seconds = CASE WHEN $13::boolean THEN $12::integer ELSE s.feed_interval_seconds END,
            feed_enabled = coalesce($14::boolean, s.feed_enabled),
            feed_full_catalog = coalesce($17::boolean, s.feed_full_catalog),
            feed_headers = CASE WHEN $16::boolean THEN coalesce($15::jsonb, '{}') ELSE s.feed_headers END,
            -- A new URL is another file: its validators and hash say nothing about it, and it is due at once.
            feed_etag = CASE WHEN $11::boolean AND $10::text IS DISTINCT FROM s.feed_url THEN NULL ELSE s.feed_etag END,
            feed_last_modified = CASE WHEN $11::boolean AND $10::text IS DISTINCT FROM s.feed_url THEN NULL ELSE s.feed_last_modified END,
            feed_content_hash = CASE WHEN $11::boolean AND $10::text IS DISTINCT FROM s.feed_url THEN NULL ELSE s.feed_content_hash END,
            feed_fetched_at = CASE WHEN $11::boolean AND $10::text IS DISTINCT FROM s.feed_url THEN NULL ELSE s.feed_fetched_at END,
            -- Nor do the old URL's failures: the new one starts with no backoff.
            feed_failures_in_row = CASE WHEN $11::boolean AND $10::text IS DISTINCT FROM s.feed_url THEN 0 ELSE s.feed_failures_in_row END,
            feed_retry_at = CASE WHEN $11::boolean AND $10::text IS DISTINCT FROM s.feed_url THEN NULL ELSE s.feed_retry_at END,
            fetch_limits = (s.fetch_limits || $8::jsonb) - $9::text[],
            format = coalesce($3, s.format),
            column_mapping = (s.column_mapping || $4::jsonb) - $6::text[],
            image_base_url = CASE WHEN $7::boolean THEN $5::text ELSE s.image_base_url END,
            settings_updated_at = CASE
              WHEN (coalesce($3, s.format), (s.column_mapping || $4::jsonb) - $6::text[], CASE WHEN $7::boolean THEN $5::text ELSE s.image_base_url END)
                   IS DISTINCT FROM (s.format, s.column_mapping, s.image_base_url)
              THEN now() ELSE s.settings_updated_at END
     RETURNING ${supplierSettingsColumns}, (xmax = 0) AS created, s.settings_updated_at = now() AS "settingsChanged"`,
    [
      code,
      change.name ?? null,
      change.format ?? null,
      JSON.stringify(set),
      change.imageBaseUrl ?? null,
      cleared,
      baseUrlGiven,
      JSON.stringify(limitsSet),
      limitsCleared,
      change.feedUrl ?? null,
      change.feedUrl !== undefined,
      change.feedIntervalSeconds ?? null,
      change.feedIntervalSeconds !== undefined,
      change.feedEnabled ?? null,
      change.feedHeaders ? JSON.stringify(change.feedHeaders) : null,
      change.feedHeaders !== undefined,
      change.feedFullCatalog ?? null,
    ],
  );
  const { created, settingsChanged, ...supplier } = rows[0]!;
  ctx.log.info('supplier settings updated', { supplier: code, created, settingsChanged });
  return { supplier, created, settingsChanged };
}
