import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AppContext } from '../context.ts';
import { CatalogError, CatalogErrorKind } from '../catalog/index.ts';
import { assertSupplierCode, buildUploadKey } from '../catalog/upload-key.ts';

export interface PresignedUpload {
  method: 'PUT';
  url: string;
  bucket: string;
  key: string;
  expiresAt: Date;
}

/**
 * A presigned PUT URL for a large spreadsheet, straight into the uploads bucket under the supplier's
 * prefix (`uploads/<supplier>/<timestamp>-<file>`), past the HTTP API's body limit. Nothing is
 * registered now: the next tick's discoverUploads finds the object and imports it (one over
 * MAX_UPLOAD_BYTES is recorded as failed there, since a presigned PUT cannot cap the size).
 */
export async function presignUpload(
  ctx: AppContext,
  request: { supplierCode: string; fileName: string; bytes?: number; expiresInSeconds?: number },
): Promise<PresignedUpload> {
  assertSupplierCode(request.supplierCode);
  const { maxUploadBytes } = ctx.config.limits;
  if (request.bytes !== undefined && request.bytes > maxUploadBytes) {
    throw new CatalogError(CatalogErrorKind.tooLarge, `${request.fileName} is ${request.bytes} bytes, over the ${maxUploadBytes}-byte limit (MAX_UPLOAD_BYTES)`);
  }
  const expiresIn = request.expiresInSeconds ?? 900;
  const now = ctx.now();
  const bucket = ctx.config.buckets.uploads;
  const key = buildUploadKey(ctx.config.uploadsPrefix, request.supplierCode, now, request.fileName);
  const url = await getSignedUrl(ctx.s3, new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn });
  return { method: 'PUT', url, bucket, key, expiresAt: new Date(now.getTime() + expiresIn * 1000) };
}
