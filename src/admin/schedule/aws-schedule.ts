import {
  ConflictException,
  CreateScheduleCommand,
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  type SchedulerClient,
  UpdateScheduleCommand,
  type UpdateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { AdminError, AdminErrorKind } from '../errors.ts';
import { ScheduleBackend, type ScheduleControl, type ScheduleStatus } from './schedule-control.ts';
import { nextRateRun, parseScheduleExpression } from './schedule-expression.ts';

export interface AwsScheduleDeps {
  scheduler: SchedulerClient;
  name: string;
  group: string;
  /** Start of the last tick the schedule ran (from `runs`): anchors the next run of a rate() schedule. */
  lastScheduledRunAt: () => Promise<Date | null>;
  now: () => Date;
}

type Schedule = Omit<GetScheduleCommandOutput, '$metadata'>;

/**
 * UpdateSchedule replaces the whole definition: a field left out is reset (the target's input, its
 * retry policy, the time window...). So every field GetSchedule returned is carried over, and only
 * `changes` differ.
 */
export function fullUpdateInput(schedule: Schedule, changes: Partial<Pick<UpdateScheduleCommandInput, 'State' | 'ScheduleExpression'>>): UpdateScheduleCommandInput {
  return {
    Name: schedule.Name!,
    GroupName: schedule.GroupName,
    ScheduleExpression: schedule.ScheduleExpression!,
    ScheduleExpressionTimezone: schedule.ScheduleExpressionTimezone,
    StartDate: schedule.StartDate,
    EndDate: schedule.EndDate,
    Description: schedule.Description,
    State: schedule.State,
    KmsKeyArn: schedule.KmsKeyArn,
    Target: schedule.Target!,
    FlexibleTimeWindow: schedule.FlexibleTimeWindow!,
    ActionAfterCompletion: schedule.ActionAfterCompletion,
    ...changes,
  };
}

/** `at(...)` wants local time without zone or milliseconds; the next whole minute, as the Scheduler fires per minute. */
function nextMinute(now: Date): Date {
  const at = new Date(now.getTime() + 60_000);
  at.setUTCSeconds(0, 0);
  return at;
}

/**
 * The tick's EventBridge schedule. "Run now" creates a one-off `at()` schedule on the same target
 * (its input `{"trigger":"manual"}`), deleted by the Scheduler after it fires (ActionAfterCompletion
 * DELETE): the tick runs in the scheduled function with its own timeout, not inside an HTTP request.
 */
export function createAwsScheduleControl(deps: AwsScheduleDeps): ScheduleControl {
  const get = async (): Promise<Schedule> => {
    try {
      return await deps.scheduler.send(new GetScheduleCommand({ Name: deps.name, GroupName: deps.group }));
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') {
        throw new AdminError(AdminErrorKind.notFound, `schedule ${deps.group}/${deps.name} not found (SCHEDULE_NAME, SCHEDULE_GROUP)`, { cause: error });
      }
      throw error;
    }
  };
  const describe = async (schedule: Schedule): Promise<ScheduleStatus> => {
    const enabled = schedule.State === 'ENABLED';
    const expression = schedule.ScheduleExpression ?? '';
    const rate = /^rate\(/.test(expression) ? parseScheduleExpression(expression) : undefined;
    return {
      backend: ScheduleBackend.aws,
      name: schedule.Name ?? deps.name,
      enabled,
      expression,
      nextRunAt: enabled && rate?.kind === 'rate' ? nextRateRun(await deps.lastScheduledRunAt(), rate.everyMs, deps.now()) : null,
    };
  };
  const update = async (changes: Partial<Pick<UpdateScheduleCommandInput, 'State' | 'ScheduleExpression'>>) => {
    const current = await get();
    await deps.scheduler.send(new UpdateScheduleCommand(fullUpdateInput(current, changes)));
    return describe(await get());
  };

  return {
    status: async () => describe(await get()),
    pause: () => update({ State: 'DISABLED' }),
    resume: () => update({ State: 'ENABLED' }),
    setRate: async (expression) => update({ ScheduleExpression: parseScheduleExpression(expression).expression }),
    async trigger() {
      const current = await get();
      const at = nextMinute(deps.now());
      const stamp = at.toISOString().slice(0, 19);
      const scheduleName = `${deps.name}-now-${stamp.replace(/\D/g, '')}`.slice(-64);
      // A second "run now" within the same minute finds that minute's run already scheduled: same answer.
      await deps.scheduler.send(
        new CreateScheduleCommand({
          Name: scheduleName,
          GroupName: current.GroupName,
          ScheduleExpression: `at(${stamp})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: { ...current.Target!, Input: JSON.stringify({ trigger: 'manual' }) },
          ActionAfterCompletion: 'DELETE',
          Description: `run now, asked for at ${deps.now().toISOString()}`,
        }),
      ).catch((error: unknown) => {
        if (!(error instanceof ConflictException)) throw error;
      });
      return { mode: 'scheduled', scheduleName, at };
    },
  };
}
