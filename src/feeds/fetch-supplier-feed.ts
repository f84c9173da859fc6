import type { AppContext } from '../context.ts';
import { CatalogError } from '../catalog/errors.ts';
import { registerUpload } from '../catalog/register-upload.ts';
import { FeedFetchOutcome } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { ClaimedFeed } from './claim-feed.ts';
import { type FeedBackoff, recordFeedFailure, recordFeedSuccess, recordOurFailure } from './feed-backoff.ts';
import { FeedError, FeedErrorKind } from './errors.ts';
import type { FeedFetcher, FetchedFeed, FeedNotModified } from './fetch-feed.ts';

/** How a fetch ended, before it is recorded. */
type Ending = {
  httpStatus: number | null;
  bytes: number | null;
} & (
  | { outcome: typeof FeedFetchOutcome.imported; importId: number }
  | { outcome: typeof FeedFetchOutcome.unchanged; reason: 'not_modified' | 'same_content' }
  | { outcome: typeof FeedFetchOutcome.failed; errorKind: string; error: string; /** See FeedError.ours. */ ours: boolean }
);

/**
 * How one fetch of a supplier's feed ended, as recorded in `feed_fetches` (row `fetchId`); a failure
 * also says how many fetches in a row failed and when the tick tries again (see feed-backoff.ts).
 */
export type FeedFetchResult = { fetchId: number; supplier: string; url: string; durationMs: number } & (
  | Exclude<Ending, { outcome: typeof FeedFetchOutcome.failed }>
  | (Extract<Ending, { outcome: typeof FeedFetchOutcome.failed }> & Partial<FeedBackoff>)
);

/**
 * The secret headers' values, by the FEED_SECRET_* names they store (a variable, else the feed
 * secret's key). `reread`: the feed secret read again, after the supplier refused what we sent.
 */
async function requestHeaders(ctx: AppContext, feed: ClaimedFeed, read: 'cached' | 'reread' = 'cached'): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(feed.feedHeaders).map(async ([name, secret]) => {
      const value = await (read === 'reread' ? ctx.feedSecrets.reread(secret) : ctx.feedSecrets.value(secret)).catch((error: unknown) => {
        // Our secret store failing is not the supplier's failure (ours: no backoff).
        throw new FeedError(FeedErrorKind.secret, `${feed.supplierCode}: header ${name}: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
          ours: true,
        });
      });
      if (value === undefined) {
        throw new FeedError(FeedErrorKind.missingSecret, `${feed.supplierCode}: header ${name} names ${secret}, which is not set (${ctx.feedSecrets.lookedIn})`);
      }
      return [name, value] as const;
    }),
  );
  return Object.fromEntries(entries);
}

const refusedStatuses = new Set([401, 403]);

/**
 * The GET, sent once more when the supplier refused (401/403) values that came from the feed secret
 * and the secret, read again, now holds others: a rotation takes effect at once, not after the
 * cache's TTL. Values from variables are never re-read; an unchanged secret is not sent twice.
 */
async function fetchWithSecrets(ctx: AppContext, fetcher: FeedFetcher, feed: ClaimedFeed, deadline: number | undefined) {
  const send = (headers: Record<string, string>) =>
    fetcher.fetch(feed.feedUrl, { headers, validators: { etag: feed.feedEtag, lastModified: feed.feedLastModified }, deadline });
  const headers = await requestHeaders(ctx, feed);
  try {
    return await send(headers);
  } catch (error) {
    const refused = error instanceof FeedError && refusedStatuses.has(error.httpStatus ?? 0);
    if (!refused || !Object.values(feed.feedHeaders).some((secret) => ctx.feedSecrets.fromSecret(secret))) throw error;
    const fresh = await requestHeaders(ctx, feed, 'reread');
    if (Object.entries(fresh).every(([name, value]) => headers[name] === value)) throw error;
    ctx.log.info('feed refused its secret headers; sending the values read again from the feed secret', { supplier: feed.supplierCode, httpStatus: error.httpStatus });
    return await send(fresh);
  }
}

async function remember(ctx: AppContext, feed: ClaimedFeed, fetched: FetchedFeed): Promise<void> {
  await ctx.pool.query(
    `UPDATE suppliers SET feed_etag = $2, feed_last_modified = $3, feed_content_hash = $4 WHERE id = $1 AND feed_url = $5`,
    [feed.supplierId, fetched.etag ?? null, fetched.lastModified ?? null, fetched.content.sha256, feed.feedUrl],
  );
}

async function fetchAndRegister(ctx: AppContext, fetcher: FeedFetcher, feed: ClaimedFeed, deadline: number | undefined): Promise<Ending> {
  let fetched: FetchedFeed | FeedNotModified;
  try {
    fetched = await fetchWithSecrets(ctx, fetcher, feed, deadline);
  } catch (error) {
    const failure = error instanceof FeedError ? error : new FeedError(FeedErrorKind.network, `${feed.feedUrl}: ${String(error)}`, { cause: error });
    return { outcome: FeedFetchOutcome.failed, errorKind: failure.kind, error: failure.message, ours: failure.ours, httpStatus: failure.httpStatus ?? null, bytes: null };
  }
  if (fetched.notModified) return { outcome: FeedFetchOutcome.unchanged, reason: 'not_modified', httpStatus: 304, bytes: 0 };
  try {
    const base = { httpStatus: fetched.httpStatus, bytes: fetched.wireBytes };
    if (fetched.content.sha256 === feed.feedContentHash) {
      await remember(ctx, feed, fetched);
      return { ...base, outcome: FeedFetchOutcome.unchanged, reason: 'same_content' };
    }
    try {
      const { importId } = await registerUpload(ctx, {
        supplierCode: feed.supplierCode,
        fileName: fetched.fileName,
        body: fetched.content,
        fullCatalog: feed.feedFullCatalog,
      });
      await remember(ctx, feed, fetched);
      return { ...base, outcome: FeedFetchOutcome.imported, importId };
    } catch (error) {
      // An empty body is the catalog's kind (empty_file), the supplier's doing; the bucket or the
      // database failing is `store`, ours.
      const kind = error instanceof AppError ? error.kind : FeedErrorKind.store;
      const message = error instanceof Error ? error.message : String(error);
      return { ...base, outcome: FeedFetchOutcome.failed, errorKind: kind, error: `${feed.feedUrl}: ${message}`, ours: !(error instanceof CatalogError) };
    }
  } finally {
    await fetched.remove();
  }
}

/**
 * Fetches one claimed feed (a conditional GET with the validators of the last body), and registers
 * the body as an import only when it is new: a 304, or the same SHA-256 as the last body, is
 * `unchanged`. Every ending, failures included, is recorded in `feed_fetches` and returned; only the
 * database failing to record it throws. A failure puts the feed's next attempt off (at once after
 * the first failure in a row, then longer and longer, see feed-backoff.ts), unless it was ours (our
 * deadline, our bucket or database: FeedError.ours); a success ends that.
 */
export async function fetchSupplierFeed(
  ctx: AppContext,
  fetcher: FeedFetcher,
  feed: ClaimedFeed,
  options: { /** Epoch ms: the tick's deadline, past which the fetch is abandoned. */ deadline?: number } = {},
): Promise<FeedFetchResult> {
  const startedAt = ctx.now();
  const started = performance.now();
  const ending = await fetchAndRegister(ctx, fetcher, feed, options.deadline);
  const backoff =
    ending.outcome !== FeedFetchOutcome.failed
      ? await recordFeedSuccess(ctx.pool, feed.supplierId)
      : ending.ours
        ? await recordOurFailure(ctx.pool, feed)
        : await recordFeedFailure(ctx.pool, feed, startedAt, ctx.config.feeds.backoffMaxSeconds);
  const durationMs = Math.round(performance.now() - started);
  const { rows } = await ctx.pool.query<{ id: string }>(
    `INSERT INTO feed_fetches (supplier_id, url, started_at, duration_ms, outcome, http_status, bytes, import_id, error_kind, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [
      feed.supplierId,
      feed.feedUrl,
      startedAt,
      durationMs,
      ending.outcome,
      ending.httpStatus,
      ending.bytes,
      ending.outcome === FeedFetchOutcome.imported ? ending.importId : null,
      ending.outcome === FeedFetchOutcome.failed ? ending.errorKind : null,
      ending.outcome === FeedFetchOutcome.failed ? ending.error : null,
    ],
  );
  const result: FeedFetchResult = { fetchId: Number(rows[0]!.id), supplier: feed.supplierCode, url: feed.feedUrl, durationMs, ...ending, ...backoff };
  if (result.outcome === FeedFetchOutcome.failed) ctx.log.warn('feed fetch failed', { ...result });
  else ctx.log.info('feed fetched', { ...result });
  return result;
}
