import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppContext } from '../../../src/context.ts';
import { createLocalScheduleControl, startLocalTimer } from '../../../src/local/local-schedule.ts';
import { runTick, RunTrigger } from '../../../src/scheduled/run-tick.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';

const hour = 3_600_000;

describe('local schedule: the embedded stack’s timer, state in Postgres', () => {
  let env: TestEnvironment;
  let ctx: AppContext;
  let clock: Date;

  beforeAll(async () => {
    env = await startTestEnvironment({ LOCAL_SCHEDULE_RATE: 'rate(2 hours)' });
    ctx = { ...env.ctx, now: () => clock };
  });
  afterAll(async () => env?.stop());
  beforeEach(async () => {
    clock = new Date('2026-11-02T10:00:00Z');
    await ctx.pool.query(`DELETE FROM local_schedules`);
  });

  const control = () => createLocalScheduleControl(ctx, () => runTick(ctx, RunTrigger.manual));

  it('starts enabled at LOCAL_SCHEDULE_RATE with the first run one period away', async () => {
    expect(await control().status()).toEqual({
      backend: 'local',
      name: ctx.config.schedule.name,
      enabled: true,
      expression: 'rate(2 hours)',
      nextRunAt: new Date(clock.getTime() + 2 * hour),
    });
  });

  it('pause and resume persist, so another process (another control) sees them', async () => {
    expect(await control().pause()).toMatchObject({ enabled: false, nextRunAt: null });
    expect(await control().status()).toMatchObject({ enabled: false });
    clock = new Date(clock.getTime() + 5 * hour);
    expect(await control().resume()).toMatchObject({ enabled: true, nextRunAt: new Date(clock.getTime() + 2 * hour) });
  });

  it('rate accepts rate() and restarts the period; refuses cron here and nonsense everywhere', async () => {
    expect(await control().setRate('rate(30 minutes)')).toMatchObject({ expression: 'rate(30 minutes)', nextRunAt: new Date(clock.getTime() + hour / 2) });
    await expect(control().setRate('cron(0 6 * * ? *)')).rejects.toMatchObject({ kind: 'unsupported' });
    await expect(control().setRate('rate(0 minutes)')).rejects.toMatchObject({ kind: 'invalid_request' });
    expect(await control().status()).toMatchObject({ expression: 'rate(30 minutes)' });
  });

  it('trigger runs the tick here and records a manual run', async () => {
    const result = await control().trigger();
    expect(result.mode).toBe('ran');
    const runId = result.mode === 'ran' ? result.summary.runId : 0;
    const { rows } = await ctx.pool.query(`SELECT trigger, finished_at FROM runs WHERE id = $1`, [runId]);
    expect(rows[0]).toMatchObject({ trigger: 'manual', finished_at: expect.any(Date) });
  });

  it('two timers on one database fire a due run once, then wait a full period', async () => {
    await control().status();
    clock = new Date(clock.getTime() + 2 * hour + 1);
    let ticks = 0;
    const stop = new AbortController();
    const timers = [1, 2].map(() => startLocalTimer(ctx, { tick: async () => void (ticks += 1), signal: stop.signal, pollMs: 5 }));
    await vi.waitFor(() => expect(ticks).toBe(1), { timeout: 10_000 });
    stop.abort();
    await Promise.all(timers);
    expect(ticks).toBe(1);
    expect((await control().status()).nextRunAt).toEqual(new Date(clock.getTime() + 2 * hour));
  });

  it('a paused timer keeps polling but never ticks', async () => {
    await control().pause();
    clock = new Date(clock.getTime() + 10 * hour);
    let polls = 0;
    let ticks = 0;
    const counted = { ...ctx, now: () => ((polls += 1), clock) };
    const stop = new AbortController();
    const timer = startLocalTimer(counted, { tick: async () => void (ticks += 1), signal: stop.signal, pollMs: 5 });
    await vi.waitFor(() => expect(polls).toBeGreaterThan(10), { timeout: 10_000 });
    stop.abort();
    await timer;
    expect(ticks).toBe(0);
  });
});
