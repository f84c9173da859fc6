/**
 * What can go wrong with one image, as admins see it (`image_sources.error_kind`).
 * The kind alone decides retry or fail: see `isTransient`.
 */
export const ErrorKind = {
  badUrl: 'bad_url',
  blockedAddress: 'blocked_address',
  httpClientError: 'http_4xx',
  httpServerError: 'http_5xx',
  rateLimited: 'rate_limited',
  timeout: 'timeout',
  network: 'network',
  tooLarge: 'too_large',
  tooManyRedirects: 'too_many_redirects',
  notAnImage: 'not_an_image',
  unsupportedFormat: 'unsupported_format',
  undecodable: 'undecodable',
  tooManyPixels: 'too_many_pixels',
  storage: 'storage',
  database: 'database',
  exhausted: 'exhausted',
  invalidMessage: 'invalid_message',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

const transientKinds: ReadonlySet<ErrorKind> = new Set([
  ErrorKind.httpServerError,
  ErrorKind.rateLimited,
  ErrorKind.timeout,
  ErrorKind.network,
  ErrorKind.storage,
  ErrorKind.database,
]);

/** True when a later attempt may succeed: the message is retried instead of the image failing. */
export function isTransient(kind: ErrorKind): boolean {
  return transientKinds.has(kind);
}

/** An image-level failure with its kind; `retryAfterSeconds` carries a server's Retry-After. */
export class ImageError extends Error {
  override name = 'ImageError';
  readonly kind: ErrorKind;
  readonly retryAfterSeconds: number | undefined;

  constructor(kind: ErrorKind, message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get transient(): boolean {
    return isTransient(this.kind);
  }
}

/**
 * Turns anything thrown while processing an image into an ImageError. Errors we did not raise
 * ourselves come from the S3 client or the database; both are worth retrying.
 */
export function classifyError(error: unknown, stage: 'store' | 'database' | 'other' = 'other'): ImageError {
  if (error instanceof ImageError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (stage === 'store') return new ImageError(ErrorKind.storage, `S3 upload failed: ${message}`, { cause: error });
  if (stage === 'database') return new ImageError(ErrorKind.database, `database error: ${message}`, { cause: error });
  return new ImageError(ErrorKind.network, message, { cause: error });
}
