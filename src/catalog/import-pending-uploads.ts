import { Readable } from 'node:stream';
import type { AppContext } from '../context.ts';
import { ImportStatus } from '../db/schema.ts';
import { formatFromFileName } from './detect-format.ts';
import { claimNextUpload, failAbandonedImports } from './import-records.ts';
import { importSpreadsheet, recordImportFailure, type ImportOptions, type ImportSummary } from './import-spreadsheet.ts';
import { openUploadObject } from './open-upload-object.ts';

/**
 * Imports every uploaded spreadsheet, one at a time, streaming each from the uploads bucket.
 * Each is claimed first (see `claimNextUpload`), so concurrent ticks never parse the same file.
 * An import whose object could not be read for a transient reason goes back to uploaded and is
 * left for the next tick (see `markImportForRetry`). Whatever goes wrong with one file, even a throw
 * nobody foresaw, fails that import alone with its reason; the others are still imported.
 */
export async function importPendingUploads(
  ctx: AppContext,
  options: ImportOptions & { /** Epoch ms after which no further upload is claimed: they wait for the next tick. */ deadline?: number } = {},
): Promise<ImportSummary[]> {
  const abandoned = await failAbandonedImports(ctx.db);
  if (abandoned > 0) ctx.log.warn('imports failed after repeated interruptions', { count: abandoned });
  const summaries: ImportSummary[] = [];
  const tried: number[] = [];
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  for (let claimed = await claimNextUpload(ctx.db); claimed; claimed = Date.now() < deadline ? await claimNextUpload(ctx.db, tried) : undefined) {
    tried.push(claimed.id);
    const { id, sourceKey, fileName } = claimed;
    // A merging import resumes from its staged rows: its file is not read again.
    const opened = claimed.status === ImportStatus.merging ? Promise.resolve(Readable.from([])) : openUploadObject(ctx.s3, ctx.config.buckets.uploads, sourceKey);
    const summary = await opened
      .then(
        (body) => importSpreadsheet(ctx, id, body, formatFromFileName(fileName), options),
        (error: unknown) => recordImportFailure(ctx, id, error),
      )
      // Left parsing, the import would block its supplier's later uploads until it went stale.
      .catch((error: unknown) => recordImportFailure(ctx, id, error));
    summaries.push(summary);
  }
  return summaries;
}
