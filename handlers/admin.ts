import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { tickScheduleOnAws } from '../src/admin/schedule/tick-schedule-on-aws.ts';
import { lazyLambdaContext } from '../src/lambda-context.ts';
import { createAdminApp } from '../src/web/admin-app.ts';

// Built on the first request and kept for the container's life; a failed start (no ADMIN_TOKEN,
// no database) is retried on the next request and answered 500 with the reason logged.
const ready = lazyLambdaContext('catalog-importer-admin', (ctx) =>
  createAdminApp(ctx, { schedule: tickScheduleOnAws(ctx), token: ctx.config.adminToken, importNow: 'tick' }),
);

const app = new Hono().all('*', async (c) => (await ready()).fetch(c.req.raw));

/** HTTP API ($default route) or function URL target: the admin API and page. */
export const handler = handle(app);
