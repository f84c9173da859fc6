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

export class AdminError extends Error {
  override name = 'AdminError';
  readonly kind: AdminErrorKind;

  constructor(kind: AdminErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.kind = kind;
  }
}
