import type { AppContext } from '../context.ts';
import { ImageStatus } from '../db/schema.ts';
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

/** Where everything stands: image sources by status, failures by kind, queue depths, the last runs. */
export async function getStatus(ctx: AppContext, options: { supplier?: string } = {}): Promise<StatusReport> {
  const supplier = options.supplier ?? null;
  // Images are sources: one a distinct URL, counted once however many products link it.
  const scope = `FROM image_sources src
                 WHERE ($1::text IS NULL OR EXISTS (
                         SELECT 1 FROM product_images pi JOIN products p ON p.id = pi.product_id JOIN suppliers s ON s.id = p.supplier_id
                          WHERE pi.source_id = src.id AND s.code = $1))`;
  const now = ctx.now();
  const [byStatus, byKind, products, runs, queue, queueAge, dlq, dlqAge] = await Promise.all([
    ctx.pool.query<{ status: ImageStatus; n: number }>(`SELECT src.status, count(*)::int AS n ${scope} GROUP BY src.status`, [supplier]),
    ctx.pool.query<{ kind: string; n: number }>(
      `SELECT coalesce(src.error_kind, 'unknown') AS kind, count(*)::int AS n ${scope} AND src.status = 'failed'
        GROUP BY 1 ORDER BY 2 DESC, 1`,
      [supplier],
    ),
    ctx.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE ($1::text IS NULL OR s.code = $1)`,
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
  ]);
  const images = Object.fromEntries(Object.values(ImageStatus).map((s) => [s, 0])) as Record<ImageStatus, number>;
  for (const row of byStatus.rows) images[row.status] = row.n;
  return {
    products: products.rows[0]?.n ?? 0,
    images,
    failuresByKind: byKind.rows.map((r) => ({ kind: r.kind, count: r.n })),
    queue: { ...queue, oldestAgeSeconds: queueAge },
    dlq: dlq && { ...dlq, oldestAgeSeconds: dlqAge },
    lastRuns: runs.rows,
  };
}
