import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { AppContext } from '../../context.ts';
import { RunTrigger } from '../../scheduled/run-tick.ts';
import { createAwsScheduleControl } from './aws-schedule.ts';
import type { ScheduleControl } from './schedule-control.ts';

/** Start of the last tick the Scheduler ran, from `runs`. */
export async function lastScheduledRunAt(ctx: AppContext): Promise<Date | null> {
  const { rows } = await ctx.pool.query<{ startedAt: Date }>(
    `SELECT started_at AS "startedAt" FROM runs WHERE trigger = $1 ORDER BY id DESC LIMIT 1`,
    [RunTrigger.schedule],
  );
  return rows[0]?.startedAt ?? null;
}

/** The tick's EventBridge schedule (SCHEDULE_NAME in SCHEDULE_GROUP), with a Scheduler client from the config. */
export function tickScheduleOnAws(ctx: AppContext): ScheduleControl & { close(): void } {
  const { region, endpoint, credentials } = ctx.config.aws;
  const scheduler = new SchedulerClient({ region, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}) });
  const control = createAwsScheduleControl({
    scheduler,
    name: ctx.config.schedule.name,
    group: ctx.config.schedule.group,
    lastScheduledRunAt: () => lastScheduledRunAt(ctx),
    now: ctx.now,
  });
  return { ...control, close: () => scheduler.destroy() };
}
