import { describe, expect, it } from 'vitest';
import { nextRateRun, parseScheduleExpression } from '../../../src/admin/schedule/schedule-expression.ts';

describe('schedule expressions', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(30 minutes)', 1_800_000],
    ['rate(2 hours)', 7_200_000],
    ['rate(1 day)', 86_400_000],
    [' rate(7 days) ', 604_800_000],
  ])('%s is every %i ms', (expression, everyMs) => {
    expect(parseScheduleExpression(expression)).toMatchObject({ kind: 'rate', everyMs });
  });

  it('accepts six-field cron with ? in one day field', () => {
    expect(parseScheduleExpression('cron(0 6 ? * MON-FRI *)')).toMatchObject({ kind: 'cron', fields: ['0', '6', '?', '*', 'MON-FRI', '*'] });
    expect(parseScheduleExpression('cron(15 10 L * ? 2027)').kind).toBe('cron');
  });

  it.each([
    ['rate(1 hours)', /use "hour" for 1/],
    ['rate(5 hour)', /use "hour" for 1/],
    ['rate(0 minutes)', /positive/],
    ['rate(2 weeks)', /expected rate/],
    ['rate(-1 days)', /expected rate/],
    ['cron(0 6 * * *)', /six fields/],
    ['cron(0 6 * * MON *)', /exactly one of/],
    ['cron(0 6 ? * MON; *)', /characters/],
    ['at(2026-11-02T10:00:00)', /expected rate/],
    ['', /expected rate/],
  ])('refuses %j', (expression, reason) => {
    expect(() => parseScheduleExpression(expression)).toThrow(reason);
  });

  it('the next rate run is the first grid point after now, anchored on the last run', () => {
    const last = new Date('2026-11-02T08:00:00Z');
    const every = 2 * 3_600_000;
    expect(nextRateRun(last, every, new Date('2026-11-02T09:00:00Z'))).toEqual(new Date('2026-11-02T10:00:00Z'));
    expect(nextRateRun(last, every, new Date('2026-11-02T15:00:00Z'))).toEqual(new Date('2026-11-02T16:00:00Z'));
    expect(nextRateRun(null, every, new Date())).toBeNull();
  });
});
