import type { ScheduleControl } from '../admin/schedule/schedule-control.ts';
import { tickScheduleOnAws } from '../admin/schedule/tick-schedule-on-aws.ts';
import { createLocalScheduleControl } from '../local/local-schedule.ts';
import { runTick, RunTrigger } from '../scheduled/run-tick.ts';
import type { Session } from './session.ts';

/**
 * The schedule the CLI and `dev` control: the local timer's row when SQS/S3 are the embedded
 * emulator (no real AWS configured), the EventBridge schedule otherwise. Close it when done.
 */
export function tickSchedule({ ctx, stack }: Session): ScheduleControl & { close(): void } {
  if (!stack.embedded.aws) return tickScheduleOnAws(ctx);
  return { ...createLocalScheduleControl(ctx, () => runTick(ctx, RunTrigger.manual)), close() {} };
}
