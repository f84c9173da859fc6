import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUpload } from '../../src/catalog/index.ts';
import type { AppContext } from '../../src/context.ts';
import { type FixtureCdn, startFixtureCdn } from '../../src/local/fixture-cdn.ts';
import { sqsRecordFromMessage } from '../../src/local/queue-poller.ts';
import { renderSampleImage } from '../../src/local/sample-images.ts';
import { startTestEnvironment, type TestEnvironment } from '../helpers/environment.ts';
import { buildCsv } from '../helpers/spreadsheets.ts';

const TOKEN = 'handler-test-token-0123456789';

const lambdaContext = { functionName: 'test', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

/**
 * The three Lambda entry points, invoked with the event shapes AWS sends, configured from the
 * environment exactly as in Lambda, against the local stack.
 */
describe('Lambda handlers with real AWS event shapes', () => {
  let env: TestEnvironment;
  let ctx: AppContext;
  let cdn: FixtureCdn;

  beforeAll(async () => {
    cdn = await startFixtureCdn();
    env = await startTestEnvironment();
    ctx = env.ctx;
    for (let i = 1; i <= 10; i++) {
      cdn.set(`/h/${i}.jpg`, { body: await renderSampleImage({ label: `H${i}`, width: 400, height: 300, format: 'jpeg', hue: i * 30 }) });
    }
    // The handlers read their configuration from process.env, as they do in Lambda.
    Object.assign(process.env, {
      DATABASE_URL: ctx.config.databaseUrl,
      // One connection: enough here, and all the embedded PGlite (one session) can serve beside the test's own.
      DATABASE_POOL_MAX: '1',
      AWS_ENDPOINT_URL: ctx.config.aws.endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: ctx.config.aws.region,
      IMAGES_QUEUE_URL: ctx.queueUrl,
      IMAGES_DLQ_URL: ctx.dlqUrl,
      PUBLIC_MEDIA_BASE_URL: ctx.config.publicMediaBaseUrl,
      FETCH_ALLOW_HOSTS: '127.0.0.1',
      ADMIN_TOKEN: TOKEN,
      LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
  });
  afterAll(async () => {
    await env?.stop();
    await cdn?.close();
  });

  it('scheduled: an EventBridge Scheduler invocation imports the upload and enqueues its images', async () => {
    const rows = [['SKU', 'Name', 'Images'], ...[1, 2].map((n) => [`H-${n}`, `Handler ${n}`, [1, 2, 3, 4, 5].map((i) => cdn.url(`/h/${(n - 1) * 5 + i}.jpg`)).join('|')])];
    await registerUpload(ctx, { supplierCode: 'handlers', fileName: 'h.csv', body: Buffer.from(buildCsv(rows)) });
    const { handler } = await import('../../handlers/scheduled.ts');
    const schedulerEvent = {
      version: '0',
      id: 'c4a6f1d0-0000-4000-8000-000000000000',
      'detail-type': 'Scheduled Event',
      source: 'aws.scheduler',
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: ['arn:aws:scheduler:us-east-1:123456789012:schedule/default/catalog-importer-tick'],
      detail: '{}',
    };
    const summary = await handler(schedulerEvent as never);
    expect(summary.trigger).toBe('schedule');
    expect(summary.imports.map((i) => i.status)).toEqual(['done']);
    expect(summary.enqueued).toBe(10);
  });

  it('worker: an SQS event of 10 records converts all ten and reports no failures', async () => {
    const received = await ctx.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: ctx.queueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], VisibilityTimeout: 60 }),
    );
    expect(received.Messages).toHaveLength(10);
    const event: SQSEvent = {
      Records: received.Messages!.map((m) => sqsRecordFromMessage(m, 'arn:aws:sqs:us-east-1:123456789012:catalog-images', 'us-east-1')),
    };
    const { handler } = await import('../../handlers/worker.ts');
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    const { rows } = await ctx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM image_sources WHERE status = 'done'`);
    expect(rows[0]!.n).toBe(10);
  });

  it('admin: an HTTP API (v2) request is answered by the admin app, and refused without the token', async () => {
    const { handler } = await import('../../handlers/admin.ts');
    // The HTTP API payload format 2.0, as API Gateway sends it (typed by Hono's adapter).
    const request = (authorization?: string): Parameters<typeof handler>[0] => ({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/api/status',
      rawQueryString: 'supplier=handlers',
      headers: { host: 'abc.execute-api.us-east-1.amazonaws.com', ...(authorization ? { authorization } : {}) },
      queryStringParameters: { supplier: 'handlers' },
      body: null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '123456789012',
        apiId: 'abc',
        domainName: 'abc.execute-api.us-east-1.amazonaws.com',
        domainPrefix: 'abc',
        http: { method: 'GET', path: '/api/status', protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'test' },
        requestId: 'r1',
        routeKey: '$default',
        stage: '$default',
        time: '23/Nov/2026:07:00:00 +0000',
        timeEpoch: Date.now(),
        authentication: null,
        authorizer: {},
      },
    });
    const ok = (await handler(request(`Bearer ${TOKEN}`), lambdaContext)) as { statusCode: number; body: string };
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ products: 2, images: { done: 10 } });
    const refused = (await handler(request(), lambdaContext)) as { statusCode: number };
    expect(refused.statusCode).toBe(401);
  });
});
