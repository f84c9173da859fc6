import { AppError } from '../errors.ts';

/** Why an admin operation refused or failed; the HTTP API maps the kind to a status code in one place. */
export const AdminErrorKind = {
  /** The request itself is wrong (a missing filter, a bad expression): HTTP 400. */
  invalidRequest: 'invalid_request',
  notFound: 'not_found',
  /** The backend cannot do this (a cron expression on the local timer): HTTP 422. */
  unsupported: 'unsupported',
  /** The configuration does not allow it (no ADMIN_TOKEN, no schedule target): HTTP 503. */
  notConfigured: 'not_configured',
} as const;
export type AdminErrorKind = (typeof AdminErrorKind)[keyof typeof AdminErrorKind];

export class AdminError extends AppError<AdminErrorKind> {
  override name = 'AdminError';

  /** An admin request fails the same way when repeated. */
  get transient(): boolean {
    return false;
  }
}
