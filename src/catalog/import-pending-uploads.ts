import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { AppContext } from '../context.ts';
import { ImportStatus } from '../db/schema.ts';
import { formatFromFileName } from './detect-format.ts';
import { claimNextUpload, markImportFailed, type ClaimedImport } from './import-records.ts';
import { importSpreadsheet, type ImportOptions, type ImportSummary } from './import-spreadsheet.ts';

async function importClaimed(ctx: AppContext, claimed: ClaimedImport, options: ImportOptions): Promise<ImportSummary> {
  let body: Readable;
  try {
    const object = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.config.buckets.uploads, Key: claimed.sourceKey }));
    body = object.Body as Readable;
  } catch (error) {
    const reason = `cannot read s3://${ctx.config.buckets.uploads}/${claimed.sourceKey}: ${error instanceof Error ? error.message : String(error)}`;
    await markImportFailed(ctx.db, claimed.id, reason);
    ctx.log.warn('spreadsheet import failed', { importId: claimed.id, error: reason });
    return {
      importId: claimed.id,
      status: ImportStatus.failed,
      rowsTotal: 0,
      rowsImported: 0,
      rowsFailed: 0,
      warnings: 0,
      productsUpserted: 0,
      imagesPending: 0,
      error: reason,
    };
  }
  return importSpreadsheet(ctx, claimed.id, body, formatFromFileName(claimed.fileName), options);
}

/**
 * Imports every uploaded spreadsheet, one at a time, streaming each from the uploads bucket.
 * Each is claimed first (see `claimNextUpload`), so concurrent ticks never parse the same file.
 */
export async function importPendingUploads(ctx: AppContext, options: ImportOptions = {}): Promise<ImportSummary[]> {
  const summaries: ImportSummary[] = [];
  for (let claimed = await claimNextUpload(ctx.db); claimed; claimed = await claimNextUpload(ctx.db)) {
    summaries.push(await importClaimed(ctx, claimed, options));
  }
  return summaries;
}
