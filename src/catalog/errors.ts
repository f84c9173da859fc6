/**
 * Why a spreadsheet could not be registered or imported, as admins see it (`imports.error` starts
 * with the message). Every kind is permanent: the same file fails the same way again.
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
  importNotFound: 'import_not_found',
} as const;
export type CatalogErrorKind = (typeof CatalogErrorKind)[keyof typeof CatalogErrorKind];

export class CatalogError extends Error {
  override name = 'CatalogError';
  readonly kind: CatalogErrorKind;

  constructor(kind: CatalogErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.kind = kind;
  }
}
