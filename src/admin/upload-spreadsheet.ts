import type { AppContext } from '../context.ts';
import { importPendingUploads, registerUpload, type ImportProgress, type ImportSummary, type RegisteredUpload } from '../catalog/index.ts';
import type { UploadContent } from '../catalog/upload-content.ts';
import { type EnqueueSummary, enqueuePendingImages } from '../queue/enqueue.ts';

export interface UploadResult extends RegisteredUpload {
  /** With `now`: the imports this call ran (this file, and any other waiting upload). */
  imports: ImportSummary[];
  /** With `now`: the images sent to the queue right after importing. */
  enqueued?: EnqueueSummary;
}

/**
 * Stores and registers a supplier's spreadsheet; with `now`, imports it and enqueues its images at
 * once instead of waiting for the next tick. The CLI's `upload` and the HTTP upload both call this.
 */
export async function uploadSpreadsheet(
  ctx: AppContext,
  upload: { supplierCode: string; fileName: string; body: Buffer | UploadContent },
  options: { now?: boolean; onProgress?: (progress: ImportProgress) => void; deadline?: number } = {},
): Promise<UploadResult> {
  const registered = await registerUpload(ctx, upload);
  if (!options.now) return { ...registered, imports: [] };
  const imports = await importPendingUploads(ctx, options.onProgress ? { onProgress: options.onProgress } : {});
  return { ...registered, imports, enqueued: await enqueuePendingImages(ctx, { deadline: options.deadline }) };
}
