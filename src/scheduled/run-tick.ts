import type { AppContext } from '../context.ts';
import { discoverUploads, importPendingUploads } from '../catalog/index.ts';
import type { ImportSummary } from '../catalog/index.ts';
import { enqueuePendingImages } from '../queue/enqueue.ts';

export const RunTrigger = { schedule: 'schedule', manual: 'manual', cli: 'cli' } as const;
export type RunTrigger = (typeof RunTrigger)[keyof typeof RunTrigger];

export interface TickSummary {
  runId: number;
  trigger: RunTrigger;
  discovered: number;
  imports: ImportSummary[];
  enqueued: number;
  resent: number;
  sendFailed: number;
}

/**
 * One scheduled run: register files dropped into the uploads bucket, import every uploaded
 * spreadsheet, then enqueue every pending image. Recorded in `runs`; safe to run concurrently.
 * Past `deadline` (epoch ms) it claims no further upload or chunk of images: what is left stays
 * uploaded or pending for the next tick, instead of being claimed by a process about to be killed.
 */
export async function runTick(ctx: AppContext, trigger: RunTrigger, options: { deadline?: number } = {}): Promise<TickSummary> {
  const { rows } = await ctx.pool.query<{ id: string }>(`INSERT INTO runs (trigger) VALUES ($1) RETURNING id`, [trigger]);
  const runId = Number(rows[0]!.id);
  try {
    const discovered = await discoverUploads(ctx);
    const imports = await importPendingUploads(ctx, { deadline: options.deadline });
    const sent = await enqueuePendingImages(ctx, { deadline: options.deadline });
    const summary: TickSummary = { runId, trigger, discovered, imports, ...sent };
    await ctx.pool.query(
      `UPDATE runs SET finished_at = now(), imported = $2, enqueued = $3, requeued = $4, send_failed = $5 WHERE id = $1`,
      [runId, imports.length, sent.enqueued, sent.resent, sent.sendFailed],
    );
    ctx.log.info('tick finished', { ...summary, imports: imports.map((i) => ({ id: i.importId, status: i.status })) });
    return summary;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await ctx.pool
      .query(`UPDATE runs SET finished_at = now(), error = $2 WHERE id = $1`, [runId, message])
      .catch(() => {});
    throw error;
  }
}
