import { AppError } from '../errors.ts';

/**
 * Why a supplier feed could not be fetched, as `feed_fetches.error_kind` and `status` show it. The
 * guard's kinds (bad_url, blocked_address) keep the image fetcher's names. A failed fetch is retried
 * by the next tick it is due in, whatever its kind: `transient` only tells admins whether waiting helps.
 */
export const FeedErrorKind = {
  badUrl: 'bad_url',
  blockedAddress: 'blocked_address',
  httpClientError: 'http_4xx',
  httpServerError: 'http_5xx',
  timeout: 'timeout',
  network: 'network',
  tooLarge: 'too_large',
  tooManyRedirects: 'too_many_redirects',
  /** A header names a FEED_SECRET_* variable that is not set where the tick runs, nor a key of the feed secret. */
  missingSecret: 'missing_secret',
  /** The feed secret (FEED_SECRETS_SECRET_ID) could not be read, or is not a JSON object of FEED_SECRET_* names. */
  secret: 'secret',
  /** A gzip body that does not inflate. */
  badGzip: 'bad_gzip',
  /** Storing the body or registering its import failed (the uploads bucket, the database). */
  store: 'store',
} as const;
export type FeedErrorKind = (typeof FeedErrorKind)[keyof typeof FeedErrorKind];

const transientKinds: ReadonlySet<FeedErrorKind> = new Set([
  FeedErrorKind.httpServerError,
  FeedErrorKind.timeout,
  FeedErrorKind.network,
  FeedErrorKind.store,
]);

export class FeedError extends AppError<FeedErrorKind> {
  override name = 'FeedError';
  readonly httpStatus: number | undefined;
  /**
   * The failure is ours, not the supplier's: our own deadline (the tick's, or fetch now's budget) cut
   * the fetch off, or our secret store, bucket or database failed. It is recorded, but the feed is not
   * backed off for it.
   */
  readonly ours: boolean;

  constructor(kind: FeedErrorKind, message: string, options: { cause?: unknown; httpStatus?: number; ours?: boolean } = {}) {
    super(kind, message, { cause: options.cause });
    this.httpStatus = options.httpStatus;
    this.ours = options.ours ?? false;
  }

  get transient(): boolean {
    return transientKinds.has(this.kind);
  }
}
