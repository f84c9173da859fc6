import type { AppContext } from '../context.ts';
import type { ImageStatus } from '../db/schema.ts';
import { type FeedReport, listFeedStatus } from './feed-status.ts';
import { type HostReport, listHostStatus } from './host-status.ts';
import { readImageCounts, type ScopeCounts } from './image-counts.ts';
import { oldestMessageAgeSeconds, oldestQueuedImageAgeSeconds } from './queue-age.ts';
import { type QueueDepth, queueDepth } from '../queue/queue-depth.ts';

/** Depth plus the age of the oldest message, in seconds (null when empty); see queue-age.ts for how. */
export type QueueReport = QueueDepth & { oldestAgeSeconds: number | null };

export interface StatusReport {
  products: number;
  images: Record<ImageStatus, number>;
  failuresByKind: Array<{ kind: string; count: number }>;
  queue: QueueReport;
  dlq: QueueReport | null;
  /** Supplier hosts: paused, throttled, in flight and requests per second (see host-status.ts). */
  hosts: HostReport[];
  /** Supplier feeds and their last fetch, failing ones first (see feed-status.ts). */
  feeds: FeedReport[];
  lastRuns: Array<{
    id: number;
    trigger: string;
    startedAt: Date;
    finishedAt: Date | null;
    imported: number;
    enqueued: number;
    requeued: number;
    error: string | null;
  }>;
}

/** The kept counts of everything, or of one supplier's sources (none when the supplier is unknown). */
async function countsInScope(ctx: AppContext, supplier: string | null): Promise<ScopeCounts> {
  if (supplier === null) return (await readImageCounts(ctx.pool, 'all', [0])).get(0)!;
  const { rows } = await ctx.pool.query<{ id: number }>(`SELECT id FROM suppliers WHERE code = $1`, [supplier]);
  const id = rows[0]?.id ?? 0;
  return (await readImageCounts(ctx.pool, 'supplier', [id])).get(id)!;
}

/** Where everything stands: image sources by status, failures by kind, queue depths, supplier hosts, the last runs. */
export async function getStatus(ctx: AppContext, options: { supplier?: string } = {}): Promise<StatusReport> {
  const supplier = options.supplier ?? null;
  const now = ctx.now();
  // Images are sources: one a distinct URL, counted once however many products link it (in a
  // supplier's scope, once if any of its products links it). Kept as they change, see image-counts.ts.
  const [counts, products, runs, queue, queueAge, dlq, dlqAge, hosts] = await Promise.all([
    countsInScope(ctx, supplier),
    ctx.pool.query<{ n: number }>(
      `SELECT coalesce(sum(pc.n), 0)::int AS n FROM product_counts pc JOIN suppliers s ON s.id = pc.supplier_id WHERE ($1::text IS NULL OR s.code = $1)`,
      [supplier],
    ),
    ctx.pool.query(
      `SELECT id::int, trigger, started_at AS "startedAt", finished_at AS "finishedAt", imported, enqueued, requeued, error
         FROM runs ORDER BY id DESC LIMIT 5`,
    ),
    queueDepth(ctx.sqs, ctx.queueUrl),
    oldestQueuedImageAgeSeconds(ctx.pool, now),
    ctx.dlqUrl ? queueDepth(ctx.sqs, ctx.dlqUrl) : Promise.resolve(null),
    ctx.dlqUrl ? oldestMessageAgeSeconds(ctx.sqs, ctx.dlqUrl, now) : Promise.resolve(null),
    listHostStatus(ctx.pool),
  ]);
  const { total: _total, ...images } = counts.images;
  return {
    products: products.rows[0]?.n ?? 0,
    images,
    failuresByKind: counts.failuresByKind,
    queue: { ...queue, oldestAgeSeconds: queueAge },
    dlq: dlq && { ...dlq, oldestAgeSeconds: dlqAge },
    hosts,
    feeds: await listFeedStatus(ctx.pool, supplier),
    lastRuns: runs.rows,
  };
}
