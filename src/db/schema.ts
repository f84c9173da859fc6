import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

// Kept self-contained (imports only drizzle-orm) so drizzle-kit can load it on its own.

export const ImportStatus = {
  /** Registered before its object is stored (see registerUpload): no tick takes it until it is uploaded. */
  receiving: 'receiving',
  uploaded: 'uploaded',
  parsing: 'parsing',
  /** Read and staged whole; its products are being merged in short transactions (resumable). */
  merging: 'merging',
  done: 'done',
  failed: 'failed',
  /** Read to the end, but not one row made a product (every row rejected, or no data row): `error` says why. */
  rejected: 'rejected',
} as const;
export type ImportStatus = (typeof ImportStatus)[keyof typeof ImportStatus];

export const ImageStatus = {
  pending: 'pending',
  queued: 'queued',
  processing: 'processing',
  done: 'done',
  failed: 'failed',
} as const;
export type ImageStatus = (typeof ImageStatus)[keyof typeof ImageStatus];

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/** Column mapping a supplier can set to override header guessing: field name → header text. */
export type ColumnMapping = Partial<Record<'sku' | 'title' | 'images', string | string[]>>;

/** How a supplier's files are read: detected from the headers (`auto`) or fixed per supplier. */
export const SupplierFormat = {
  auto: 'auto',
  shopify: 'shopify',
  woocommerce: 'woocommerce',
  magento: 'magento',
  prestashop: 'prestashop',
  generic: 'generic',
} as const;
export type SupplierFormat = (typeof SupplierFormat)[keyof typeof SupplierFormat];

/** A supplier's per-host download limits: downloads in flight and requests per second. Absent: the fleet default. */
export type SupplierFetchLimits = { maxConcurrency?: number; maxRate?: number };

/** Request headers a supplier's feed is fetched with: header name → the secret holding its value (FEED_SECRET_* variable), never the value. */
export type FeedHeaderSecrets = Record<string, string>;

export const suppliers = pgTable('suppliers', {
  id: serial('id').primaryKey(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  columnMapping: jsonb('column_mapping').$type<ColumnMapping>().notNull().default({}),
  /** Overrides of the fleet-wide per-host budget for this supplier's image sources (see src/images/host-budget/). */
  fetchLimits: jsonb('fetch_limits').$type<SupplierFetchLimits>().notNull().default({}),
  format: text('format').$type<SupplierFormat>().notNull().default(SupplierFormat.auto),
  /** Relative image paths in the supplier's files (Magento's `/m/b/x.jpg`) resolve against this. */
  imageBaseUrl: text('image_base_url'),
  /** Last change to how files are read: a file imported before it is imported again, not skipped as a duplicate. */
  settingsUpdatedAt: timestamp('settings_updated_at', { withTimezone: true }).notNull().defaultNow(),
  /** The supplier's catalog URL, fetched by the tick (src/feeds/); null: the supplier uploads files. */
  feedUrl: text('feed_url'),
  /** Least time between two fetches of the feed; null: every tick. */
  feedIntervalSeconds: integer('feed_interval_seconds'),
  feedEnabled: boolean('feed_enabled').notNull().default(true),
  feedHeaders: jsonb('feed_headers').$type<FeedHeaderSecrets>().notNull().default({}),
  /** The feed is the whole catalog: a product missing from it is marked discontinued (see markImportDone). */
  feedFullCatalog: boolean('feed_full_catalog').notNull().default(false),
  /** Validators and hash of the last body fetched: a 304 or the same hash makes no import. Reset when the URL changes. */
  feedEtag: text('feed_etag'),
  feedLastModified: text('feed_last_modified'),
  feedContentHash: text('feed_content_hash'),
  /** When the feed was last claimed for a fetch; the next is due an interval later. Cleared by a failure. */
  feedFetchedAt: timestamp('feed_fetched_at', { withTimezone: true }),
  /** Fetches in a row that failed; 0 after any that did not (src/feeds/feed-backoff.ts). */
  feedFailuresInRow: integer('feed_failures_in_row').notNull().default(0),
  /** While failing: the tick tries the feed again no sooner (its backoff); null once a fetch works. "Fetch now" ignores it. */
  feedRetryAt: timestamp('feed_retry_at', { withTimezone: true }),
  createdAt: createdAt(),
});

export const FeedFetchOutcome = {
  /** A new body: stored and registered as an import. */
  imported: 'imported',
  /** A 304, or the same bytes as last time: no import. */
  unchanged: 'unchanged',
  failed: 'failed',
} as const;
export type FeedFetchOutcome = (typeof FeedFetchOutcome)[keyof typeof FeedFetchOutcome];

/** Every fetch of a supplier feed, whatever came of it: what `status` and the page show. */
export const feedFetches = pgTable(
  'feed_fetches',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    supplierId: integer('supplier_id')
      .notNull()
      .references(() => suppliers.id),
    url: text('url').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    outcome: text('outcome').$type<FeedFetchOutcome>().notNull(),
    httpStatus: integer('http_status'),
    /** Bytes received on the wire (compressed, when the feed is gzip). */
    bytes: bigint('bytes', { mode: 'number' }),
    importId: integer('import_id').references(() => imports.id),
    errorKind: text('error_kind'),
    error: text('error'),
  },
  (t) => [index('feed_fetches_supplier_idx').on(t.supplierId, t.id)],
);

export const imports = pgTable(
  'imports',
  {
    id: serial('id').primaryKey(),
    supplierId: integer('supplier_id')
      .notNull()
      .references(() => suppliers.id),
    sourceKey: text('source_key').notNull(),
    fileName: text('file_name').notNull(),
    fileHash: text('file_hash'),
    fileBytes: bigint('file_bytes', { mode: 'number' }),
    status: text('status').$type<ImportStatus>().notNull().default(ImportStatus.uploaded),
    /** Claims so far; a transient read failure puts the import back to uploaded until the last one. */
    attempts: integer('attempts').notNull().default(0),
    rowsTotal: integer('rows_total').notNull().default(0),
    rowsImported: integer('rows_imported').notNull().default(0),
    rowsFailed: integer('rows_failed').notNull().default(0),
    /** Rows folded into another row's product on purpose (Shopify image rows, Magento store views). */
    rowsMerged: integer('rows_merged').notNull().default(0),
    /** Staged rows (by `ord`) merged into products so far: where a crashed merge resumes. */
    mergedThrough: integer('merged_through').notNull().default(0),
    warnings: integer('warnings').notNull().default(0),
    productsUpserted: integer('products_upserted').notNull().default(0),
    imagesPending: integer('images_pending').notNull().default(0),
    /** A complete catalog (a full-catalog feed): products of the supplier it lacks are discontinued when it is done. */
    fullCatalog: boolean('full_catalog').notNull().default(false),
    productsDiscontinued: integer('products_discontinued').notNull().default(0),
    error: text('error'),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    /**
     * When the file was read and staged (its transaction's start): it was read with the supplier settings
     * in force then. Unlike started_at, a resumed merge does not move it.
     */
    readAt: timestamp('read_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('imports_source_key_unique').on(t.sourceKey), index('imports_status_idx').on(t.status)],
);

/**
 * A file's products as read and validated, before they touch `products`: the import parses the whole
 * file into here in one transaction that locks nothing workers use, then merges it in short ones.
 * `image_urls` is null when the file has no image column (galleries are then left as they are).
 */
export const importStagedProducts = pgTable(
  'import_staged_products',
  {
    importId: integer('import_id')
      .notNull()
      .references(() => imports.id, { onDelete: 'cascade' }),
    ord: integer('ord').notNull(),
    rowNumber: integer('row_number').notNull(),
    sku: text('sku').notNull(),
    title: text('title'),
    fields: jsonb('fields').$type<Record<string, string>>().notNull(),
    imageUrls: text('image_urls').array(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.ord] })],
);

export const importRowErrors = pgTable(
  'import_row_errors',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    importId: integer('import_id')
      .notNull()
      .references(() => imports.id, { onDelete: 'cascade' }),
    rowNumber: integer('row_number').notNull(),
    column: text('column'),
    severity: text('severity').$type<'error' | 'warning'>().notNull().default('error'),
    message: text('message').notNull(),
  },
  (t) => [index('import_row_errors_import_idx').on(t.importId, t.rowNumber)],
);

export const products = pgTable(
  'products',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    supplierId: integer('supplier_id')
      .notNull()
      .references(() => suppliers.id),
    sku: text('sku').notNull(),
    title: text('title'),
    fields: jsonb('fields').$type<Record<string, string>>().notNull().default({}),
    imageUrls: text('image_urls').array().notNull().default(sql`'{}'::text[]`),
    lastImportId: integer('last_import_id').references(() => imports.id),
    /** Missing from a full-catalog import (kept, not deleted, images and all); cleared when it reappears in any import. */
    discontinuedAt: timestamp('discontinued_at', { withTimezone: true }),
    discontinuedByImportId: integer('discontinued_by_import_id').references(() => imports.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('products_supplier_sku_unique').on(t.supplierId, t.sku),
    // The products view searches SKU and title anywhere in the text (ILIKE '%q%', src/admin/list-products.ts):
    // one trigram index (pg_trgm, migrations/0010) over both. Two, ORed, cost the planner twice as much, and
    // at 100k products it preferred a sequential scan (80 ms) to them (4 ms).
    index('products_search_trgm_idx').using('gin', sql`(${t.sku} || ' ' || coalesce(${t.title}, '')) gin_trgm_ops`),
    // The products view's "discontinued" filter pages through these in (supplier, sku) order: a few of the
    // catalog, which the unique index would make it walk past (every current product) to fill a page.
    index('products_discontinued_idx').on(t.supplierId, t.sku).where(sql`${t.discontinuedAt} IS NOT NULL`),
  ],
);

/**
 * One row per distinct source URL, whoever links it: downloaded once, however many products and
 * suppliers share it. `attempts` is the fencing token of the worker that holds it: it only grows.
 * `url` (the WebP) stays while the source is re-checked or re-queued, so products keep their picture.
 */
/** One WebP size of an image source, as stored in `image_sources.variants`. */
export interface StoredRendition {
  key: string;
  url: string;
  width: number;
  height: number;
  bytes: number;
}

export const imageSources = pgTable(
  'image_sources',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sourceUrl: text('source_url').notNull(),
    status: text('status').$type<ImageStatus>().notNull().default(ImageStatus.pending),
    attempts: integer('attempts').notNull().default(0),
    /**
     * Real downloads started (counted when the host budget grants the slot): what `exhausted` is
     * measured against. Claims handed back for want of a slot, a paused host or a busy row do not count.
     */
    downloads: integer('downloads').notNull().default(0),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    errorKind: text('error_kind'),
    lastError: text('last_error'),
    s3Key: text('s3_key'),
    url: text('url'),
    width: integer('width'),
    height: integer('height'),
    bytes: integer('bytes'),
    /** The downloaded original as the supplier serves it, before conversion (null for sources done before they were recorded). */
    originalWidth: integer('original_width'),
    originalHeight: integer('original_height'),
    originalBytes: integer('original_bytes'),
    contentHash: text('content_hash'),
    /**
     * Every WebP size of the image, widths ascending, the full one (`s3_key`) last: what a srcset lists.
     * Null for sources converted before sizes were made.
     */
    variants: jsonb('variants').$type<StoredRendition[]>(),
    /** ThumbHash of the image, base64 (~25 bytes): a blurred preview to show while the WebP loads. */
    placeholder: text('placeholder'),
    sourceEtag: text('source_etag'),
    sourceLastModified: text('source_last_modified'),
    /** When a download or a conditional GET last confirmed the WebP; revalidation starts from the oldest. */
    checkedAt: timestamp('checked_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('image_sources_source_url_unique').on(t.sourceUrl),
    // Claims read only the rows they can take (see src/queue/claim-pending-images.ts): the partial
    // indexes hold the claimable states alone, so a claim costs what it returns, not the backlog.
    index('image_sources_pending_idx').on(t.id).where(sql`status = 'pending'`),
    index('image_sources_lease_idx').on(t.leaseUntil).where(sql`status IN ('queued', 'processing')`),
    index('image_sources_checked_idx').on(t.checkedAt).where(sql`status = 'done'`),
    // Failures by kind, newest first: the examples of `failures` groups read a few rows per kind.
    index('image_sources_failed_idx').on(sql`coalesce(${t.errorKind}, 'unknown')`, t.updatedAt).where(sql`status = 'failed'`),
    // media-gc asks, per object key, whether any source lists it among its sizes (`variants @> …`).
    index('image_sources_variants_idx').using('gin', t.variants.op('jsonb_path_ops')),
  ],
);

/** A product's gallery: (product, position) → source. Reorders and removals change these rows only. */
export const productImages = pgTable(
  'product_images',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    productId: bigint('product_id', { mode: 'number' })
      .notNull()
      .references(() => products.id, { onDelete: 'cascade' }),
    position: smallint('position').notNull(),
    sourceId: bigint('source_id', { mode: 'number' })
      .notNull()
      .references(() => imageSources.id),
    /** The import that last set this link (per-import progress, `requeue --import`). */
    importId: integer('import_id').references(() => imports.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('product_images_product_position_unique').on(t.productId, t.position),
    // A finished source finds every product that links it.
    index('product_images_source_idx').on(t.sourceId),
    index('product_images_import_idx').on(t.importId),
  ],
);

/**
 * One supplier host as every worker sees it (src/images/host-budget/): a pause after 429/503 with
 * Retry-After or repeated 429s, the next start the rate limit allows, and a two-window count of the
 * requests started (status shows requests per second).
 */
export const fetchHosts = pgTable('fetch_hosts', {
  host: text('host').primaryKey(),
  pausedUntil: timestamp('paused_until', { withTimezone: true }),
  pauseReason: text('pause_reason'),
  /** 429s in a row without Retry-After; a success resets it. */
  strikes: integer('strikes').notNull().default(0),
  /** With a rate limit: the earliest start of the next request (the theoretical arrival time of GCRA). */
  nextStartAt: timestamp('next_start_at', { withTimezone: true }),
  /** Last time a download was refused a slot or a start (shown as throttled). */
  refusedAt: timestamp('refused_at', { withTimezone: true }),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull().defaultNow(),
  windowRequests: integer('window_requests').notNull().default(0),
  previousWindowRequests: integer('previous_window_requests').notNull().default(0),
  updatedAt: updatedAt(),
});

/**
 * The per-host download slots shared by every worker: slot N of a host is taken while a worker
 * downloads from it, until `lease_until`; a dead worker's slot comes back when its lease runs out.
 */
export const fetchHostSlots = pgTable(
  'fetch_host_slots',
  {
    host: text('host').notNull(),
    slot: integer('slot').notNull(),
    /** Who took it (one random id per grant): only that holder's release frees it. */
    holder: text('holder').notNull(),
    leaseUntil: timestamp('lease_until', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.host, t.slot] })],
);

/**
 * Image sources counted as they change (the triggers of migration 0009, from image_sources and
 * product_images): how many distinct sources are in each status in a scope — `all` (scope_id 0), an
 * `import` (those its links point at) or a `supplier` (those its products link) — and, for failed
 * ones, with which error kind (`kind` is '' otherwise). A key is split over 32 `shard` rows, summed
 * when read, so concurrent workers do not queue on one row.
 */
export const imageCounts = pgTable(
  'image_counts',
  {
    scope: text('scope').$type<'all' | 'import' | 'supplier'>().notNull(),
    scopeId: integer('scope_id').notNull(),
    status: text('status').$type<ImageStatus>().notNull(),
    kind: text('kind').notNull(),
    shard: smallint('shard').notNull(),
    n: bigint('n', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.scopeId, t.status, t.kind, t.shard] })],
);

/** Products per supplier, counted by a trigger as imports insert them (migration 0009). */
export const productCounts = pgTable('product_counts', {
  supplierId: integer('supplier_id')
    .primaryKey()
    .references(() => suppliers.id),
  n: bigint('n', { mode: 'number' }).notNull(),
});

export const runs = pgTable('runs', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  trigger: text('trigger').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  imported: integer('imported').notNull().default(0),
  enqueued: integer('enqueued').notNull().default(0),
  requeued: integer('requeued').notNull().default(0),
  sendFailed: integer('send_failed').notNull().default(0),
  error: text('error'),
});

export const ScheduleState = { enabled: 'ENABLED', disabled: 'DISABLED' } as const;
export type ScheduleState = (typeof ScheduleState)[keyof typeof ScheduleState];

/**
 * The embedded stack's stand-in for the EventBridge schedule: kept in Postgres so `schedule pause`
 * from one CLI process is seen by the timer in the `dev` process.
 */
export const localSchedules = pgTable('local_schedules', {
  name: text('name').primaryKey(),
  state: text('state').$type<ScheduleState>().notNull().default(ScheduleState.enabled),
  expression: text('expression').notNull(),
  nextRunAt: timestamp('next_run_at', { withTimezone: true }).notNull(),
  updatedAt: updatedAt(),
});
