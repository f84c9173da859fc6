import { driverError, isTransientDatabaseError } from '../db/transient-error.ts';
import { AppError } from '../errors.ts';

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
  /** S3 refused for good (access denied, no such bucket, bad credentials): fix the deployment, then re-queue. */
  storageDenied: 'storage_denied',
  database: 'database',
  /** The database refused the write for good (a constraint, bad SQL): a bug to report, not a retry. */
  databaseRejected: 'database_rejected',
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

/**
 * An image-level failure with its kind; `retryAfterSeconds` carries a server's Retry-After and
 * `httpStatus` the status that failed (the host budget pauses a host on 429 and 503).
 */
export class ImageError extends AppError<ErrorKind> {
  override name = 'ImageError';
  readonly retryAfterSeconds: number | undefined;
  readonly httpStatus: number | undefined;

  constructor(kind: ErrorKind, message: string, options: { cause?: unknown; retryAfterSeconds?: number | undefined; httpStatus?: number } = {}) {
    super(kind, message, { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.httpStatus = options.httpStatus;
  }

  get transient(): boolean {
    return isTransient(this.kind);
  }
}

/** S3 error codes that mean the request will never succeed as deployed: retrying only spends receives. */
const permanentS3Codes: ReadonlySet<string> = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'NoSuchBucket',
  'InvalidBucketName',
  'AccountProblem',
  'InvalidArgument',
  'InvalidRequest',
  'EntityTooLarge',
  'KMS.DisabledException',
  'KMS.NotFoundException',
]);

/** The error's S3 code and HTTP status, as the AWS SDK v3 attaches them. */
function s3Failure(error: unknown): { code: string | undefined; status: number | undefined } {
  const e = error as { name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  const code = typeof e?.Code === 'string' ? e.Code : typeof e?.name === 'string' ? e.name : undefined;
  return { code, status: e?.$metadata?.httpStatusCode };
}

/**
 * Turns anything thrown while processing an image into an ImageError whose kind decides retry or
 * fail. Errors we did not raise ourselves come from the S3 client (`store`) or the database
 * (`database`): S3 codes that cannot succeed as deployed (AccessDenied, NoSuchBucket, bad keys) and
 * 4xx answers other than throttling are `storage_denied`, the rest (5xx, SlowDown, the network)
 * `storage`; SQLSTATEs are read by `isTransientDatabaseError` (connection, deadlock, resources,
 * lock timeout are `database`; a constraint or bad SQL is `database_rejected`).
 */
export function classifyError(error: unknown, stage: 'store' | 'database' | 'other' = 'other'): ImageError {
  if (error instanceof ImageError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (stage === 'store') {
    const { code, status } = s3Failure(error);
    const denied = (code !== undefined && permanentS3Codes.has(code)) || (status !== undefined && status >= 400 && status < 500 && status !== 429 && status !== 408);
    const named = code ? `${code}: ${message}` : message;
    return new ImageError(denied ? ErrorKind.storageDenied : ErrorKind.storage, `S3 upload failed: ${named}`, { cause: error });
  }
  if (stage === 'database') {
    // drizzle's wrapper says only which statement failed (with its parameters); the driver says why.
    const driver = driverError(error);
    const reason = driver instanceof Error ? driver.message : message;
    const code = (driver as { code?: unknown } | null)?.code;
    const named = typeof code === 'string' ? `${reason} (SQLSTATE ${code})` : reason;
    const kind = isTransientDatabaseError(error) ? ErrorKind.database : ErrorKind.databaseRejected;
    return new ImageError(kind, `database error: ${named}`, { cause: error });
  }
  return new ImageError(ErrorKind.network, message, { cause: error });
}
