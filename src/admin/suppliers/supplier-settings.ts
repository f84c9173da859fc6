import { z } from 'zod';
import { feedSecretPrefix } from '../../config.ts';
import { SupplierFormat, type ColumnMapping, type FeedHeaderSecrets, type SupplierFetchLimits } from '../../db/schema.ts';
import { feedNextAttemptSql } from '../../feeds/feed-backoff.ts';

/** How a supplier's files are read, as `supplier show`, the API and the page present it. */
export interface SupplierSettings {
  code: string;
  name: string;
  format: SupplierFormat;
  /** Headers that override guessing: field → header(s). Empty: every field is guessed. */
  columnMapping: ColumnMapping;
  imageBaseUrl: string | null;
  /**
   * Per-host download limits for this supplier's images, replacing FETCH_HOST_MAX_CONCURRENCY and
   * FETCH_HOST_MAX_RPS; empty: the fleet defaults. A URL several suppliers share gets the strictest.
   */
  fetchLimits: SupplierFetchLimits;
  /** The catalog URL the tick fetches (docs/feeds.md); null: the supplier uploads files. */
  feedUrl: string | null;
  /** Least seconds between two fetches; null: every tick. */
  feedIntervalSeconds: number | null;
  feedEnabled: boolean;
  /** The feed is the whole catalog: products it lacks are discontinued (kept, images and all) until they reappear. */
  feedFullCatalog: boolean;
  /** Request header → the FEED_SECRET_* variable holding its value; the value itself is never stored. */
  feedHeaders: FeedHeaderSecrets;
  /** Fetches of the feed in a row that failed; the tick backs off while it is above 0. */
  feedFailuresInRow: number;
  /** When the tick fetches the feed next at the earliest (backoff included); null: at the next tick, or never (off, no feed). */
  feedNextAttemptAt: Date | null;
  /** Last change to format, mapping or base URL: done imports before it no longer count as "the same file". */
  settingsUpdatedAt: Date;
  createdAt: Date;
}

const header = z.string().trim().min(1).max(200);

/** http(s) only: relative image paths resolve against it, and the worker fetches nothing else. */
const imageBaseUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2000)
  .refine((value) => {
    const url = new URL(value);
    return url.hostname !== '' && url.username === '' && url.password === '' && url.search === '' && url.hash === '';
  }, 'must be a plain http(s) URL with a host, without credentials, query or fragment');

/** Where a feed is fetched from: http(s) with a host and no credentials (those go in a header secret). */
const feedUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2000)
  .refine((value) => {
    const url = new URL(value);
    return url.hostname !== '' && url.username === '' && url.password === '';
  }, 'must be an http(s) URL with a host and without credentials (send them with --feed-header)');

const feedHeaders = z
  .record(
    z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a header name'),
    z.string().regex(new RegExp(`^${feedSecretPrefix}[A-Z0-9_]{1,100}$`), `must name a ${feedSecretPrefix}* variable, not hold the value`),
  )
  .refine((headers) => Object.keys(headers).length <= 10, 'at most 10 headers');

/**
 * A change to a supplier's settings; absent fields stay as they are, `null` clears a field (the
 * mapping entry goes back to guessing, the base URL to none).
 */
export const supplierSettingsChange = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  format: z.enum(SupplierFormat).optional(),
  sku: header.nullable().optional(),
  title: header.nullable().optional(),
  images: z.array(header).min(1).max(20).nullable().optional(),
  imageBaseUrl: imageBaseUrl.nullable().optional(),
  /** Downloads in flight at one host for this supplier's images, across every worker. */
  maxConcurrency: z.number().int().min(1).max(1000).nullable().optional(),
  /** Requests started per second at one host for this supplier's images, across every worker. */
  maxRate: z.number().positive().max(10_000).nullable().optional(),
  feedUrl: feedUrl.nullable().optional(),
  /** A minute at least: the tick runs every two hours, and a feed is a whole catalog. */
  feedIntervalSeconds: z.number().int().min(60).max(366 * 86_400).nullable().optional(),
  feedEnabled: z.boolean().optional(),
  feedFullCatalog: z.boolean().optional(),
  /** Replaces every header; null removes them all. */
  feedHeaders: feedHeaders.nullable().optional(),
});
export type SupplierSettingsChange = z.infer<typeof supplierSettingsChange>;

/** The SELECT list that reads a `suppliers` row (alias `s`) as SupplierSettings. */
export const supplierSettingsColumns = `s.code, s.name, s.format, s.column_mapping AS "columnMapping", s.image_base_url AS "imageBaseUrl",
       s.fetch_limits AS "fetchLimits",
       s.feed_url AS "feedUrl", s.feed_interval_seconds AS "feedIntervalSeconds", s.feed_enabled AS "feedEnabled", s.feed_headers AS "feedHeaders",
       s.feed_full_catalog AS "feedFullCatalog", s.feed_failures_in_row AS "feedFailuresInRow", ${feedNextAttemptSql} AS "feedNextAttemptAt",
       s.settings_updated_at AS "settingsUpdatedAt", s.created_at AS "createdAt"`;
