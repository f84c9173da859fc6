import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Db } from '../db/client.ts';
import { SupplierFormat, type ColumnMapping } from '../db/schema.ts';
import { createProductAssembler, type AssemblyDescription, type ProductAssembler } from './assemble-products.ts';
import { compareWithCatalog, ProductChange } from './compare-with-catalog.ts';
import { formatFromFileName } from './detect-format.ts';
import { CatalogError, CatalogErrorKind } from './errors.ts';
import { findDoneImportOfFile } from './import-records.ts';
import { openRows } from './import-spreadsheet.ts';
import { Severity, type ProductRow, type RowIssue, type SheetRow } from './row-validation.ts';
import { assertSupplierCode } from './upload-key.ts';

type Executor = Pick<Db, 'execute'>;

/** A product as the import would store it, and what storing it would change. */
export interface PreviewProduct extends ProductRow {
  change: ProductChange;
  galleryChanged: boolean;
}

/**
 * What importing a file would do, computed without writing a row: the dry run of `upload`, of
 * `POST /api/uploads/preview` and of the page's preview.
 */
export interface SpreadsheetPreview {
  supplier: { code: string; known: boolean; format: SupplierFormat; imageBaseUrl: string | null };
  file: { name: string; bytes: number };
  /** The layout the file is read as, and whether the headers decided it (the supplier's format is `auto`). */
  format: AssemblyDescription['format'];
  detected: boolean;
  /** Product field → the columns it is read from, in the order used (`fields`: kept as they are). */
  mapping: AssemblyDescription['mapping'];
  /** Every data row is a product, rejected, or merged into another row's product (Shopify, Magento store views). */
  rows: { total: number; products: number; rejected: number; merged: number };
  products: Record<ProductChange, number>;
  images: {
    /** Links (product, position) → image: added, pointing at another URL, dropped, as they are. */
    links: { new: number; changed: number; removed: number; unchanged: number };
    /** Distinct URLs no image source has yet: each would be downloaded. */
    downloads: number;
  };
  /** The first products in file order. */
  sample: PreviewProduct[];
  /** Row errors and warnings (a warning about the whole file is on the header row): counts, and the first ones. */
  issues: { errors: number; warnings: number; first: RowIssue[] };
  /** A done import of these bytes read with the supplier's current settings: importing would change nothing. */
  sameFileAs?: number;
}

export interface PreviewOptions {
  sampleSize?: number;
  maxIssues?: number;
}

type SupplierSettingsRow = {
  id: number;
  format: SupplierFormat;
  column_mapping: ColumnMapping;
  image_base_url: string | null;
};

/** Products per comparison: the import's batch size, so the queries are the size the import's are. */
const batchSize = 500;

async function readSupplier(db: Executor, code: string) {
  const { rows } = await db.execute<SupplierSettingsRow>(sql`
    SELECT id, format, column_mapping, image_base_url FROM suppliers WHERE code = ${code}`);
  return rows[0];
}

/**
 * Reads a spreadsheet the way the import does and reports what importing it for the supplier would
 * create and change — products new, changed or unchanged; image links and downloads; the first
 * products as stored; warnings and row errors — in a read-only transaction, so it cannot write a
 * row (a supplier not yet known previews as new, and is not created). A file the import would
 * refuse as a whole (no SKU column, not a spreadsheet) throws the same CatalogError.
 *
 * @example
 * const preview = await previewSpreadsheet(ctx, { supplierCode: 'acme', fileName: 'acme.csv', body });
 * console.log(preview.products.new, preview.images.downloads);
 */
export async function previewSpreadsheet(
  ctx: AppContext,
  upload: { supplierCode: string; fileName: string; body: Buffer },
  options: PreviewOptions = {},
): Promise<SpreadsheetPreview> {
  assertSupplierCode(upload.supplierCode);
  const { maxUploadBytes, maxRows } = ctx.config.limits;
  if (upload.body.length === 0) throw new CatalogError(CatalogErrorKind.emptyFile, `${upload.fileName} is empty`);
  if (upload.body.length > maxUploadBytes) {
    throw new CatalogError(CatalogErrorKind.tooLarge, `${upload.fileName} is ${upload.body.length} bytes, over the ${maxUploadBytes}-byte limit (MAX_UPLOAD_BYTES)`);
  }
  const sampleSize = options.sampleSize ?? 10;
  const maxIssues = options.maxIssues ?? 50;

  // Repeatable read: every batch is compared with the same snapshot. Read only: Postgres itself
  // refuses any write, whatever a query below might grow into.
  return ctx.db.transaction(
    async (tx) => {
      const supplier = await readSupplier(tx, upload.supplierCode);
      const fileHash = createHash('sha256').update(upload.body).digest('hex');
      const earlier = supplier && (await findDoneImportOfFile(tx, supplier.id, fileHash, 0));
      const rows = await openRows(Readable.from([upload.body]), formatFromFileName(upload.fileName), ctx.config.limits);

      const preview: SpreadsheetPreview = {
        supplier: {
          code: upload.supplierCode,
          known: supplier !== undefined,
          format: supplier?.format ?? SupplierFormat.auto,
          imageBaseUrl: supplier?.image_base_url ?? null,
        },
        file: { name: upload.fileName, bytes: upload.body.length },
        format: SupplierFormat.generic,
        detected: true,
        mapping: { sku: [], title: [], images: [], variants: [], fields: [] },
        rows: { total: 0, products: 0, rejected: 0, merged: 0 },
        products: { new: 0, changed: 0, unchanged: 0 },
        images: { links: { new: 0, changed: 0, removed: 0, unchanged: 0 }, downloads: 0 },
        sample: [],
        issues: { errors: 0, warnings: 0, first: [] },
        ...(earlier?.sameSettings ? { sameFileAs: earlier.importId } : {}),
      };

      let assembler: ProductAssembler | undefined;
      let batch: ProductRow[] = [];
      const seenDownloads = new Set<string>();
      const sink = {
        product: (product: ProductRow) => batch.push(product),
        issue: (issue: RowIssue) => {
          if (issue.severity === Severity.error) preview.issues.errors += 1;
          else preview.issues.warnings += 1;
          if (preview.issues.first.length < maxIssues) preview.issues.first.push(issue);
        },
      };
      const compare = async () => {
        if (batch.length === 0) return;
        const result = await compareWithCatalog(tx, supplier?.id, batch, preview.mapping.images.length > 0);
        result.changes.forEach((change, i) => {
          preview.products[change] += 1;
          if (preview.sample.length < sampleSize) {
            preview.sample.push({ ...batch[i]!, change, galleryChanged: result.galleryChanged[i]! });
          }
        });
        for (const key of ['new', 'changed', 'removed', 'unchanged'] as const) preview.images.links[key] += result.links[key];
        // Distinct over the whole file: a URL on many products is downloaded once.
        for (const url of result.unknownUrls) seenDownloads.add(url);
        batch = [];
      };

      for await (const row of rows as AsyncIterable<SheetRow>) {
        if (!assembler) {
          if (row.error === undefined && row.cells.every((value) => value === '')) continue;
          assembler = createProductAssembler(
            row,
            {
              supplierCode: upload.supplierCode,
              format: preview.supplier.format,
              columnMapping: supplier?.column_mapping ?? {},
              imageBaseUrl: preview.supplier.imageBaseUrl,
            },
            sink,
          );
          const { format, detected, mapping } = assembler.describe();
          Object.assign(preview, { format, detected, mapping });
          continue;
        }
        assembler.push(row);
        if (assembler.counts.rowsTotal > maxRows) throw new CatalogError(CatalogErrorKind.tooManyRows, `more than ${maxRows} rows (MAX_ROWS): split the file`);
        if (batch.length >= batchSize) await compare();
      }
      if (!assembler) throw new CatalogError(CatalogErrorKind.noHeader, 'no header row: the file has no non-empty row');
      assembler.end();
      await compare();
      const { rowsTotal, products, rowsRejected, rowsMerged } = assembler.counts;
      preview.rows = { total: rowsTotal, products, rejected: rowsRejected, merged: rowsMerged };
      preview.images.downloads = seenDownloads.size;
      return preview;
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
