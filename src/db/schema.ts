import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

// Kept self-contained (imports only drizzle-orm) so drizzle-kit can load it on its own.

export const ImportStatus = {
  uploaded: 'uploaded',
  parsing: 'parsing',
  done: 'done',
  failed: 'failed',
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

export const suppliers = pgTable('suppliers', {
  id: serial('id').primaryKey(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  columnMapping: jsonb('column_mapping').$type<ColumnMapping>().notNull().default({}),
  fetchLimits: jsonb('fetch_limits').$type<{ perHostConcurrency?: number }>().notNull().default({}),
  createdAt: createdAt(),
});

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
    warnings: integer('warnings').notNull().default(0),
    productsUpserted: integer('products_upserted').notNull().default(0),
    imagesPending: integer('images_pending').notNull().default(0),
    error: text('error'),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('imports_source_key_unique').on(t.sourceKey), index('imports_status_idx').on(t.status)],
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
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('products_supplier_sku_unique').on(t.supplierId, t.sku)],
);

export const productImages = pgTable(
  'product_images',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    productId: bigint('product_id', { mode: 'number' })
      .notNull()
      .references(() => products.id, { onDelete: 'cascade' }),
    position: smallint('position').notNull(),
    sourceUrl: text('source_url').notNull(),
    status: text('status').$type<ImageStatus>().notNull().default(ImageStatus.pending),
    attempts: integer('attempts').notNull().default(0),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    errorKind: text('error_kind'),
    lastError: text('last_error'),
    s3Key: text('s3_key'),
    url: text('url'),
    width: integer('width'),
    height: integer('height'),
    bytes: integer('bytes'),
    contentHash: text('content_hash'),
    sourceEtag: text('source_etag'),
    importId: integer('import_id').references(() => imports.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('product_images_product_position_unique').on(t.productId, t.position),
    index('product_images_status_idx').on(t.status, t.leaseUntil),
    // Per-import progress (polled by the admin page) and `requeue --import`.
    index('product_images_import_status_idx').on(t.importId, t.status),
  ],
);

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
