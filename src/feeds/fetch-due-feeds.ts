import type { AppContext } from '../context.ts';
import { AdminError, AdminErrorKind } from '../admin/errors.ts';
import type { Resolver } from '../images/address-guard.ts';
import { claimDueFeed, claimFeedOf } from './claim-feed.ts';
import { createFeedFetcher } from './fetch-feed.ts';
import { type FeedFetchResult, fetchSupplierFeed } from './fetch-supplier-feed.ts';

/** Feeds fetched at once by one tick: a slow supplier holds up one lane, not the others. */
const lanes = 4;

export interface FeedFetchOptions {
  /** Epoch ms after which no further feed is claimed: the rest are due on the next tick. */
  deadline?: number;
  /** DNS resolution for the guard; the system resolver unless a test needs a name to point somewhere. */
  resolve?: Resolver;
}

/**
 * The tick's first step: fetches every due supplier feed (see `claimDueFeed`) and registers the new
 * bodies as imports, which the same tick then imports. A feed that fails is recorded and the others
 * go on; it is due again at the next tick. Past `deadline` no feed is claimed, and a fetch under way
 * is abandoned (recorded as a timeout), so the tick still has time to import.
 */
export async function fetchDueFeeds(ctx: AppContext, options: FeedFetchOptions = {}): Promise<FeedFetchResult[]> {
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  // A feed fetched every tick is not fetched again while a fetch of it may still be running elsewhere.
  const leaseSeconds = Math.ceil(ctx.config.feeds.responseTimeoutMs / 1000);
  const fetcher = createFeedFetcher(ctx.config, { resolve: options.resolve });
  const results: FeedFetchResult[] = [];
  const fetched: number[] = [];
  const lane = async () => {
    while (Date.now() < deadline) {
      const feed = await claimDueFeed(ctx.pool, ctx.now(), leaseSeconds, fetched);
      if (!feed) return;
      fetched.push(feed.supplierId);
      results.push(await fetchSupplierFeed(ctx, fetcher, feed, { deadline: options.deadline }));
    }
  };
  try {
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    await fetcher.close();
  }
  return results;
}

/**
 * "Fetch now" for one supplier (CLI `supplier fetch`, the API): due or not, on or off. With a
 * `deadline`, a fetch still running then is abandoned and recorded as a timeout (so the feed is due
 * at the next tick), instead of being cut off unrecorded by a request timeout.
 */
export async function fetchFeedNow(ctx: AppContext, supplierCode: string, options: FeedFetchOptions = {}): Promise<FeedFetchResult> {
  const feed = await claimFeedOf(ctx.pool, supplierCode, ctx.now());
  if (!feed) throw new AdminError(AdminErrorKind.notFound, `supplier ${JSON.stringify(supplierCode)} has no feed: set one with supplier set ${supplierCode} --feed-url URL`);
  const fetcher = createFeedFetcher(ctx.config, options);
  try {
    return await fetchSupplierFeed(ctx, fetcher, feed, { deadline: options.deadline });
  } finally {
    await fetcher.close();
  }
}
