import type { AppContext } from '../context.ts';
import { discoverUploads, importPendingUploads } from '../catalog/index.ts';
import type { ImportSummary } from '../catalog/index.ts';
import { fetchDueFeeds } from '../feeds/fetch-due-feeds.ts';
import type { FeedFetchResult } from '../feeds/fetch-supplier-feed.ts';
import { enqueuePendingImages } from '../queue/enqueue.ts';

export const RunTrigger = { schedule: 'schedule', manual: 'manual', cli: 'cli' } as const;
export type RunTrigger = (typeof RunTrigger)[keyof typeof RunTrigger];

export interface TickSummary {
  runId: number;
  trigger: RunTrigger;
  /** Supplier feeds fetched, each imported, unchanged or failed (see src/feeds/). */
  feeds: FeedFetchResult[];
  discovered: number;
  imports: ImportSummary[];
  enqueued: number;
  resent: number;
  sendFailed: number;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * One scheduled run: fetch the supplier feeds that are due (a new body becomes an upload), register
 * files dropped into the uploads bucket, import every uploaded
 * spreadsheet, then enqueue every pending image. Recorded in `runs`; safe to run concurrently.
 * Past `deadline` (epoch ms) it claims no further upload or chunk of images: what is left stays
 * uploaded or pending for the next tick, instead of being claimed by a process about to be killed.
 * A bad file fails its own import only (see `importPendingUploads`). Should discovery or the imports
 * fail as a whole (the bucket or the database), the images are still enqueued and expired leases
 * re-sent; then the run is recorded with the error and throws it.
 */
export async function runTick(ctx: AppContext, trigger: RunTrigger, options: { deadline?: number } = {}): Promise<TickSummary> {
  const { rows } = await ctx.pool.query<{ id: string }>(`INSERT INTO runs (trigger) VALUES ($1) RETURNING id`, [trigger]);
  const runId = Number(rows[0]!.id);
  try {
    let failure: unknown;
    // Each feed's failure is its own (recorded, shown in status); only the database failing stops this step.
    const feeds = await fetchDueFeeds(ctx, { deadline: options.deadline }).catch((error: unknown): FeedFetchResult[] => {
      failure ??= error;
      return [];
    });
    const discovered = await discoverUploads(ctx).catch((error: unknown) => {
      failure ??= error;
      return 0;
    });
    const imports = await importPendingUploads(ctx, { deadline: options.deadline }).catch((error: unknown): ImportSummary[] => {
      failure ??= error;
      return [];
    });
    const sent = await enqueuePendingImages(ctx, { deadline: options.deadline });
    const summary: TickSummary = { runId, trigger, feeds, discovered, imports, ...sent };
    await ctx.pool.query(
      `UPDATE runs SET finished_at = now(), imported = $2, enqueued = $3, requeued = $4, send_failed = $5, error = $6 WHERE id = $1`,
      [runId, imports.length, sent.enqueued, sent.resent, sent.sendFailed, failure === undefined ? null : messageOf(failure)],
    );
    if (failure !== undefined) throw failure;
    ctx.log.info('tick finished', { ...summary, feeds: feeds.map((f) => ({ supplier: f.supplier, outcome: f.outcome })), imports: imports.map((i) => ({ id: i.importId, status: i.status })) });
    return summary;
  } catch (error) {
    await ctx.pool
      .query(`UPDATE runs SET finished_at = coalesce(finished_at, now()), error = $2 WHERE id = $1`, [runId, messageOf(error)])
      .catch(() => {});
    throw error;
  }
}
