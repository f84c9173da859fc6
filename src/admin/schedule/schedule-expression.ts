import { AdminError, AdminErrorKind } from '../errors.ts';

export type ScheduleExpression =
  | { kind: 'rate'; expression: string; everyMs: number }
  | { kind: 'cron'; expression: string; fields: string[] };

const unitMs = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const cronFieldPattern = /^[0-9A-Za-z*?,\-/#]+$/;
const invalid = (expression: string, why: string) =>
  new AdminError(AdminErrorKind.invalidRequest, `invalid schedule expression ${JSON.stringify(expression)}: ${why}`);

/**
 * Checks a recurring EventBridge Scheduler expression the way the service does, before it is sent:
 * `rate(N minute|minutes|hour|hours|day|days)` (singular unit exactly when N is 1) or
 * `cron(minutes hours day-of-month month day-of-week year)` with `?` in one of the two day fields.
 * One-off `at(...)` expressions are refused: `schedule trigger` creates those.
 */
export function parseScheduleExpression(input: string): ScheduleExpression {
  const expression = input.trim();
  const rate = /^rate\((\d+) (minute|hour|day)(s?)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] as keyof typeof unitMs;
    if (value < 1) throw invalid(expression, 'the value must be a positive integer');
    if ((value === 1) !== (rate[3] === '')) throw invalid(expression, `use "${unit}" for 1 and "${unit}s" otherwise`);
    return { kind: 'rate', expression, everyMs: value * unitMs[unit] };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (cron) {
    const fields = cron[1]!.trim().split(/\s+/);
    if (fields.length !== 6) throw invalid(expression, 'cron needs six fields: minutes hours day-of-month month day-of-week year');
    if (!fields.every((f) => cronFieldPattern.test(f))) throw invalid(expression, 'a cron field holds characters it cannot');
    if ((fields[2] === '?') === (fields[4] === '?')) throw invalid(expression, 'exactly one of day-of-month and day-of-week must be "?"');
    return { kind: 'cron', expression, fields };
  }
  throw invalid(expression, 'expected rate(N minutes|hours|days) or cron(...)');
}

/** The first time after `now` on the grid `last + k × everyMs`; null without a last run to anchor it. */
export function nextRateRun(last: Date | null, everyMs: number, now: Date): Date | null {
  if (!last) return null;
  const behind = Math.max(0, Math.floor((now.getTime() - last.getTime()) / everyMs) + 1);
  return new Date(last.getTime() + behind * everyMs);
}
