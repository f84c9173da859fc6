import { randomBytes } from 'node:crypto';
import { CatalogError, CatalogErrorKind } from './errors.ts';

const supplierCodePattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Throws unless `code` is a supplier code: lower-case letters, digits, `_` and `-`, 1–63 characters. */
export function assertSupplierCode(code: string): void {
  if (!supplierCodePattern.test(code)) {
    throw new CatalogError(
      CatalogErrorKind.invalidSupplier,
      `invalid supplier code ${JSON.stringify(code)}: use 1-63 lower-case letters, digits, "_" or "-", starting with a letter or digit`,
    );
  }
}

/** A file name safe in an S3 key and a shell: the base name, ASCII letters, digits, `.`, `_`, `-`. */
export function sanitizeFileName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const safe = base
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .replace(/-+(\.|$)/g, '$1');
  if (safe.length <= 120) return safe || 'upload';
  const dot = safe.lastIndexOf('.');
  const extension = dot > 0 && safe.length - dot <= 10 ? safe.slice(dot) : '';
  return safe.slice(0, 120 - extension.length) + extension;
}

/**
 * `uploads/<supplier>/<timestamp>-<random>-<file>`: sorts by time within a supplier; the random part
 * keeps two uploads of one file name in the same millisecond from overwriting each other's object.
 */
export function buildUploadKey(prefix: string, supplierCode: string, at: Date, fileName: string): string {
  const timestamp = at.toISOString().replace(/[:.]/g, '-');
  return `${prefix}${supplierCode}/${timestamp}-${randomBytes(3).toString('hex')}-${sanitizeFileName(fileName)}`;
}

/** Reads `uploads/<supplier>/<file>` back; undefined for any other shape (folders, deeper paths, bad codes). */
export function parseUploadKey(prefix: string, key: string): { supplierCode: string; fileName: string } | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const parts = key.slice(prefix.length).split('/');
  if (parts.length !== 2) return undefined;
  const [supplierCode = '', fileName = ''] = parts;
  if (!supplierCodePattern.test(supplierCode) || fileName === '') return undefined;
  return { supplierCode, fileName };
}
