import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsScheduleControl } from '../../../src/admin/schedule/aws-schedule.ts';
import type { ScheduleControl } from '../../../src/admin/schedule/schedule-control.ts';

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown>;
}

/**
 * A stand-in for the EventBridge Scheduler REST API (the one mock here: the service cannot run
 * locally): keeps schedules by name, answers Get/Update/CreateSchedule as AWS does, records requests.
 */
async function startRecordedScheduler(initial: Record<string, unknown>) {
  const schedules = new Map<string, Record<string, unknown>>([[String(initial.Name), initial]]);
  const requests: Recorded[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url!, 'http://scheduler');
    const name = decodeURIComponent(url.pathname.replace(/^\/schedules\//, ''));
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>) : {};
    requests.push({ method: req.method!, path: url.pathname, query: url.searchParams, body });
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
    };
    const existing = schedules.get(name);
    if (req.method === 'GET') {
      if (!existing) return reply(404, { Message: `Schedule ${name} does not exist.` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
      return reply(200, existing);
    }
    schedules.set(name, { ...body, Name: name, Arn: `arn:aws:scheduler:eu-west-1:123456789012:schedule/default/${name}`, GroupName: body.GroupName ?? 'default' });
    return reply(200, { ScheduleArn: `arn:aws:scheduler:eu-west-1:123456789012:schedule/default/${name}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    schedules,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const target = {
  Arn: 'arn:aws:lambda:eu-west-1:123456789012:function:catalog-importer-prod-scheduled',
  RoleArn: 'arn:aws:iam::123456789012:role/catalog-importer-prod-scheduler',
  Input: '{"trigger":"schedule"}',
  RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 2 },
};

const deployed = {
  Arn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/default/catalog-importer-prod-tick',
  Name: 'catalog-importer-prod-tick',
  GroupName: 'default',
  Description: 'import tick',
  ScheduleExpression: 'rate(2 hours)',
  ScheduleExpressionTimezone: 'Europe/Paris',
  State: 'ENABLED',
  FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
  Target: target,
  StartDate: 1_790_000_000,
  CreationDate: 1_789_000_000,
  LastModificationDate: 1_789_000_000,
};

/** What UpdateSchedule must carry beyond the change: the complete definition GetSchedule returned. */
const fullDefinition = {
  ClientToken: expect.any(String), // the SDK's idempotency token
  GroupName: 'default',
  Description: 'import tick',
  ScheduleExpressionTimezone: 'Europe/Paris',
  FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
  Target: target,
  StartDate: 1_790_000_000,
};

describe('schedule control on AWS (EventBridge Scheduler API, recorded)', () => {
  let scheduler: Awaited<ReturnType<typeof startRecordedScheduler>>;
  let client: SchedulerClient;
  let control: ScheduleControl;
  const now = new Date('2026-11-02T10:30:20Z');
  const lastRun = new Date('2026-11-02T09:00:00Z');

  beforeAll(async () => {
    scheduler = await startRecordedScheduler(deployed);
    client = new SchedulerClient({ endpoint: scheduler.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    control = createAwsScheduleControl({ scheduler: client, name: deployed.Name, group: 'default', lastScheduledRunAt: async () => lastRun, now: () => now });
  });
  afterAll(async () => {
    client?.destroy();
    await scheduler?.close();
  });
  beforeEach(() => {
    scheduler.requests.length = 0;
    scheduler.schedules.set(deployed.Name, deployed);
  });

  it('status reads the schedule: enabled, rate, next run one period after the last scheduled run', async () => {
    expect(await control.status()).toEqual({
      backend: 'aws',
      name: deployed.Name,
      enabled: true,
      expression: 'rate(2 hours)',
      nextRunAt: new Date('2026-11-02T11:00:00Z'),
    });
    expect(scheduler.requests).toMatchObject([{ method: 'GET', path: `/schedules/${deployed.Name}` }]);
    expect(scheduler.requests[0]!.query.get('groupName')).toBe('default');
  });

  it('pause sends UpdateSchedule with the complete definition and only State changed', async () => {
    const status = await control.pause();
    const update = scheduler.requests.find((r) => r.method === 'PUT')!;
    expect(update.path).toBe(`/schedules/${deployed.Name}`);
    expect(update.body).toEqual({ ...fullDefinition, ScheduleExpression: 'rate(2 hours)', State: 'DISABLED' });
    expect(status).toMatchObject({ enabled: false, nextRunAt: null });
  });

  it('resume sends the complete definition with State ENABLED', async () => {
    scheduler.schedules.set(deployed.Name, { ...deployed, State: 'DISABLED' });
    await control.resume();
    const update = scheduler.requests.find((r) => r.method === 'PUT')!;
    expect(update.body).toEqual({ ...fullDefinition, ScheduleExpression: 'rate(2 hours)', State: 'ENABLED' });
  });

  it('rate validates the expression before sending, then changes only ScheduleExpression', async () => {
    await expect(control.setRate('every 5 minutes')).rejects.toThrow(/invalid schedule expression/);
    expect(scheduler.requests).toHaveLength(0);
    const status = await control.setRate('cron(0 6 ? * MON-FRI *)');
    const update = scheduler.requests.find((r) => r.method === 'PUT')!;
    expect(update.body).toEqual({ ...fullDefinition, ScheduleExpression: 'cron(0 6 ? * MON-FRI *)', State: 'ENABLED' });
    expect(status).toMatchObject({ expression: 'cron(0 6 ? * MON-FRI *)', nextRunAt: null });
  });

  it('trigger creates a one-off at() schedule on the same target that deletes itself', async () => {
    const result = await control.trigger();
    const create = scheduler.requests.find((r) => r.method === 'POST')!;
    expect(result).toEqual({ mode: 'scheduled', scheduleName: 'catalog-importer-prod-tick-now-20261102103100', at: new Date('2026-11-02T10:31:00Z') });
    expect(create.path).toBe('/schedules/catalog-importer-prod-tick-now-20261102103100');
    expect(create.body).toMatchObject({
      GroupName: 'default',
      ScheduleExpression: 'at(2026-11-02T10:31:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: { ...target, Input: '{"trigger":"manual"}' },
    });
    expect(scheduler.schedules.get(deployed.Name)).toEqual(deployed); // the recurring schedule is untouched
  });

  it('a missing schedule is reported by name', async () => {
    scheduler.schedules.delete(deployed.Name);
    await expect(control.pause()).rejects.toMatchObject({ kind: 'not_found', message: expect.stringContaining('default/catalog-importer-prod-tick') });
    expect(scheduler.requests.some((r) => r.method === 'PUT')).toBe(false);
  });
});
