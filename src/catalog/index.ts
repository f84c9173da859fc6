/** What the handlers and the CLI use of the catalog side. */
export { registerUpload, type RegisteredUpload } from './register-upload.ts';
export { discoverUploads } from './discover-uploads.ts';
export { importPendingUploads } from './import-pending-uploads.ts';
export { importSpreadsheet, type ImportSummary, type ImportProgress, type ImportOptions } from './import-spreadsheet.ts';
export { formatFromFileName, type SpreadsheetFormat } from './detect-format.ts';
export { CatalogError, CatalogErrorKind } from './errors.ts';
