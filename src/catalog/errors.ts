import { AppError } from '../errors.ts';

/**
 * Why a spreadsheet could not be registered or imported, as admins see it (`imports.error` starts
 * with the message). Every kind is permanent (the same file fails the same way again) except those
 * in `transientCatalogErrorKinds`.
 */
export const CatalogErrorKind = {
  invalidSupplier: 'invalid_supplier',
  emptyFile: 'empty_file',
  tooLarge: 'too_large',
  notASpreadsheet: 'not_a_spreadsheet',
  encoding: 'encoding',
  parse: 'parse_error',
  noHeader: 'no_header',
  noSkuColumn: 'no_sku_column',
  mappingMismatch: 'mapping_mismatch',
  tooManyRows: 'too_many_rows',
  /** An xlsx whose zip would inflate past the limits (size, entry count, ratio, lying sizes). */
  zipBomb: 'zip_bomb',
  importNotFound: 'import_not_found',
  /** The generated upload key was taken (a race): nothing was registered, uploading again works. */
  duplicateUpload: 'duplicate_upload',
  /** The uploaded object is gone or forbidden (S3 4xx): retrying will not bring it back. */
  sourceMissing: 'source_missing',
  /** Reading the uploaded object failed on the way (network, S3 5xx, throttling): worth another try. */
  sourceUnavailable: 'source_unavailable',
} as const;
export type CatalogErrorKind = (typeof CatalogErrorKind)[keyof typeof CatalogErrorKind];

/** Kinds that put the import back to `uploaded` for the next tick instead of failing it. */
const transientCatalogErrorKinds: ReadonlySet<CatalogErrorKind> = new Set([CatalogErrorKind.sourceUnavailable]);

export class CatalogError extends AppError<CatalogErrorKind> {
  override name = 'CatalogError';

  /** True when the same file may import fine on another attempt. */
  get transient(): boolean {
    return transientCatalogErrorKinds.has(this.kind);
  }
}
