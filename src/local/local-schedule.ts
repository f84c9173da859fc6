import { setTimeout as sleep } from 'node:timers/promises';
import type { AppContext } from '../context.ts';
import { AdminError, AdminErrorKind } from '../admin/errors.ts';
import { ScheduleBackend, type ScheduleControl, type ScheduleStatus } from '../admin/schedule/schedule-control.ts';
import { parseScheduleExpression } from '../admin/schedule/schedule-expression.ts';
import { ScheduleState } from '../db/schema.ts';
import type { TickSummary } from '../scheduled/run-tick.ts';

interface Row {
  state: ScheduleState;
  expression: string;
  nextRunAt: Date;
}

/** The local timer runs rate() only: it has no cron evaluator, and the embedded stack needs none. */
function rateMs(expression: string): number {
  const parsed = parseScheduleExpression(expression);
  if (parsed.kind !== 'rate') {
    throw new AdminError(AdminErrorKind.unsupported, `the local timer runs rate(...) expressions only, not ${parsed.expression}`);
  }
  return parsed.everyMs;
}

const columns = `state, expression, next_run_at AS "nextRunAt"`;

/** The schedule row, created on first use with LOCAL_SCHEDULE_RATE and its first run one period away. */
async function readRow(ctx: AppContext): Promise<Row> {
  const { name, localRate } = ctx.config.schedule;
  await ctx.pool.query(
    `INSERT INTO local_schedules (name, expression, next_run_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
    [name, localRate, new Date(ctx.now().getTime() + rateMs(localRate))],
  );
  const { rows } = await ctx.pool.query<Row>(`SELECT ${columns} FROM local_schedules WHERE name = $1`, [name]);
  return rows[0]!;
}

async function updateRow(ctx: AppContext, set: string, params: unknown[]): Promise<Row> {
  await readRow(ctx);
  const { rows } = await ctx.pool.query<Row>(
    `UPDATE local_schedules SET ${set}, updated_at = now() WHERE name = $1 RETURNING ${columns}`,
    [ctx.config.schedule.name, ...params],
  );
  return rows[0]!;
}

function describe(ctx: AppContext, row: Row): ScheduleStatus {
  const enabled = row.state === ScheduleState.enabled;
  return { backend: ScheduleBackend.local, name: ctx.config.schedule.name, enabled, expression: row.expression, nextRunAt: enabled ? row.nextRunAt : null };
}

/**
 * The embedded stack's schedule: the same operations as on AWS, over a row in `local_schedules`
 * that the `dev` timer (startLocalTimer) reads, so a pause from any process stops its ticks.
 * "Run now" runs the tick right here, through `tick`.
 */
export function createLocalScheduleControl(ctx: AppContext, tick: () => Promise<TickSummary>): ScheduleControl {
  return {
    status: async () => describe(ctx, await readRow(ctx)),
    pause: async () => describe(ctx, await updateRow(ctx, 'state = $2', [ScheduleState.disabled])),
    // Resuming starts a fresh period rather than firing at once for the time spent paused.
    resume: async () => {
      const row = await readRow(ctx);
      if (row.state === ScheduleState.enabled) return describe(ctx, row);
      const next = new Date(ctx.now().getTime() + rateMs(row.expression));
      return describe(ctx, await updateRow(ctx, 'state = $2, next_run_at = $3', [ScheduleState.enabled, next]));
    },
    setRate: async (expression) => {
      const every = rateMs(expression);
      const parsed = parseScheduleExpression(expression).expression;
      return describe(ctx, await updateRow(ctx, 'expression = $2, next_run_at = $3', [parsed, new Date(ctx.now().getTime() + every)]));
    },
    trigger: async () => ({ mode: 'ran', summary: await tick() }),
  };
}

/**
 * Takes the due run, if any: moves next_run_at one period on, conditionally on the value read, so
 * two timers on one database never both fire the same run.
 */
async function claimDueRun(ctx: AppContext): Promise<boolean> {
  const row = await readRow(ctx);
  if (row.state !== ScheduleState.enabled || row.nextRunAt.getTime() > ctx.now().getTime()) return false;
  const next = new Date(ctx.now().getTime() + rateMs(row.expression));
  const { rowCount } = await ctx.pool.query(
    `UPDATE local_schedules SET next_run_at = $2, updated_at = now() WHERE name = $1 AND next_run_at = $3 AND state = 'ENABLED'`,
    [ctx.config.schedule.name, next, row.nextRunAt],
  );
  return rowCount === 1;
}

/**
 * The `dev` process's timer: every `pollMs` reads the schedule row and runs the tick when it is due
 * and enabled. A failing tick is logged (and recorded in `runs`) and the timer goes on. Resolves
 * once `signal` aborts and the current tick, if any, has finished.
 */
export async function startLocalTimer(
  ctx: AppContext,
  options: { tick: () => Promise<unknown>; signal: AbortSignal; pollMs?: number },
): Promise<void> {
  const pollMs = options.pollMs ?? 1000;
  while (!options.signal.aborted) {
    try {
      if (await claimDueRun(ctx)) await options.tick();
    } catch (error) {
      ctx.log.error('scheduled tick failed', { error: error instanceof Error ? error.message : String(error) });
    }
    await sleep(pollMs, undefined, { signal: options.signal }).catch(() => {});
  }
}
