import { Upload } from '@aws-sdk/lib-storage';
import type { AppContext } from '../context.ts';
import { CatalogError, CatalogErrorKind } from './errors.ts';
import { ensureSupplier, findDoneImportOfFile, insertImport, markImportFailed, markImportReceived } from './import-records.ts';
import { assertSupplierCode, buildUploadKey } from './upload-key.ts';
import { bufferUpload, type UploadContent } from './upload-content.ts';

export interface RegisteredUpload {
  importId: number;
  sourceKey: string;
  /** A done import of the same supplier with the same bytes and settings: importing again will change nothing. */
  duplicateOf?: number;
  /** A done import of the same bytes, read before the supplier's settings last changed: this one is imported again. */
  reimportOf?: number;
}

/**
 * Stores a spreadsheet in the uploads bucket and registers it (status uploaded) for the next tick.
 * Creates the supplier on first use. A file already imported is registered anyway, as an audit
 * record: `duplicateOf` names the earlier import when the supplier's settings are unchanged since,
 * `reimportOf` when they changed (so the file is read differently this time).
 *
 * @example
 * const { importId } = await registerUpload(ctx, { supplierCode: 'acme', fileName: 'acme.xlsx', body });
 */
export async function registerUpload(
  ctx: AppContext,
  upload: { supplierCode: string; fileName: string; body: Buffer | UploadContent; /** A full-catalog feed's body. */ fullCatalog?: boolean },
): Promise<RegisteredUpload> {
  assertSupplierCode(upload.supplierCode);
  const { maxUploadBytes } = ctx.config.limits;
  const content = Buffer.isBuffer(upload.body) ? bufferUpload(upload.body) : upload.body;
  if (content.bytes === 0) throw new CatalogError(CatalogErrorKind.emptyFile, `${upload.fileName} is empty`);
  if (content.bytes > maxUploadBytes) {
    throw new CatalogError(
      CatalogErrorKind.tooLarge,
      `${upload.fileName} is ${content.bytes} bytes, over the ${maxUploadBytes}-byte limit (MAX_UPLOAD_BYTES)`,
    );
  }
  const supplierId = await ensureSupplier(ctx.db, upload.supplierCode);
  const sourceKey = buildUploadKey(ctx.config.uploadsPrefix, upload.supplierCode, ctx.now(), upload.fileName);
  const fileHash = content.sha256;
  // The row comes first, as `receiving`: a tick listing the bucket between the PUT and the INSERT
  // would otherwise register the object itself, and this upload would be told it is a duplicate.
  const importId = await insertImport(ctx.db, {
    supplierId,
    sourceKey,
    fileName: upload.fileName,
    fileHash,
    fileBytes: content.bytes,
    receiving: true,
    fullCatalog: upload.fullCatalog,
  });
  if (importId === undefined) {
    throw new CatalogError(CatalogErrorKind.duplicateUpload, `upload key ${sourceKey} is already registered: upload again`);
  }
  // Multipart above 8 MB: S3-compatible endpoints cap single requests (fauxqs at 11 MiB), and a
  // failed part is retried alone. Streamed: at most two parts are in memory at once.
  try {
    await new Upload({
      client: ctx.s3,
      params: { Bucket: ctx.config.buckets.uploads, Key: sourceKey, Body: content.open(), ContentLength: content.bytes },
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
    }).done();
  } catch (error) {
    await markImportFailed(ctx.db, importId, `the file could not be stored: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }
  await markImportReceived(ctx.db, importId);
  const earlier = await findDoneImportOfFile(ctx.db, supplierId, fileHash, importId);
  ctx.log.info('upload registered', { importId, sourceKey, earlierImport: earlier });
  if (!earlier) return { importId, sourceKey };
  return earlier.sameSettings ? { importId, sourceKey, duplicateOf: earlier.importId } : { importId, sourceKey, reimportOf: earlier.importId };
}
