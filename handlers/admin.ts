import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { tickScheduleOnAws } from '../src/admin/schedule/tick-schedule-on-aws.ts';
import { lazyLambdaContext } from '../src/lambda-context.ts';
import { appForCurrentToken } from '../src/secrets/app-for-current-token.ts';
import { createAdminApp } from '../src/web/admin-app.ts';

// Built on the first request and kept for the container's life; a failed start (no admin token,
// no database) is retried on the next request and answered 500 with the reason logged. A rotated
// token secret rebuilds the app (src/secrets/app-for-current-token.ts).
const ready = lazyLambdaContext('catalog-importer-admin', (ctx, secrets) => {
  const build = (token: string | undefined) => createAdminApp(ctx, { schedule: tickScheduleOnAws(ctx), token, importNow: 'tick' });
  if (!secrets.adminToken) {
    const app = build(undefined);
    return async (request: Request) => app.fetch(request);
  }
  return appForCurrentToken(secrets.adminToken, build);
});

const app = new Hono().all('*', async (c) => (await ready())(c.req.raw));

/** HTTP API ($default route) or function URL target: the admin API and page. */
export const handler = handle(app);
