import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ScheduleControl } from '../admin/schedule/schedule-control.ts';
import type { AppContext } from '../context.ts';
import { buildSampleCatalog } from '../demo/sample-catalog.ts';
import { runTick, RunTrigger } from '../scheduled/run-tick.ts';
import { createAdminApp } from '../web/admin-app.ts';
import { listenApp } from '../web/listen.ts';
import { claimDevLock } from './dev-lock.ts';
import { allowingFixtureCdn, type FixtureCdn, startFixtureCdnPreferring } from './fixture-cdn.ts';
import { runLocalWorker } from './local-worker.ts';
import { startLocalTimer } from './local-schedule.ts';

export interface DevOptions {
  ctx: AppContext;
  schedule: ScheduleControl;
  /** True when SQS/S3 are the embedded emulator: then this process also runs the timer and the worker. */
  embeddedAws: boolean;
  signal: AbortSignal;
  say: (line: string) => void;
}

/**
 * `dev`: the admin page and API on DEV_PORT, and, on the embedded stack, the local schedule timer,
 * the worker poller and the fixture CDN with a sample supplier file to upload. Runs until `signal`
 * aborts, then stops the server, lets the running tick and worker batches finish, and returns.
 */
export async function runDevServer(options: DevOptions): Promise<void> {
  const { ctx, schedule, signal, say } = options;
  const token = ctx.config.adminToken ?? randomBytes(24).toString('base64url');
  const app = createAdminApp(ctx, { schedule, token });
  const server = await listenApp(app, ctx.config.local.devPort);
  const releaseLock = claimDevLock(ctx.config.local.dataDir, server.url);
  let cdn: FixtureCdn | undefined;
  try {
    // The demo's port keeps sample URLs stable across restarts; when it is taken, any port.
    if (options.embeddedAws) cdn = await startFixtureCdnPreferring(ctx.config.local.demoCdnPort);
    say(`admin page: ${server.url}/`);
    say(`token:      ${token}${ctx.config.adminToken ? ' (ADMIN_TOKEN)' : ' (generated; set ADMIN_TOKEN to keep one)'}`);
    say(`data:       ${resolve(ctx.config.local.dataDir)}`);
    const background: Array<Promise<unknown>> = [];
    if (cdn) {
      const samplePath = join(resolve(ctx.config.local.dataDir), 'sample', 'acme-catalog.xlsx');
      await mkdir(join(resolve(ctx.config.local.dataDir), 'sample'), { recursive: true });
      await writeFile(samplePath, (await buildSampleCatalog(cdn)).workbook);
      say(`sample:     ${samplePath} (upload it as supplier "acme"; its images come from ${cdn.baseUrl})`);
      const status = await schedule.status();
      say(`schedule:   local timer, ${status.enabled ? status.expression : 'paused'}; the worker polls the queue here`);
      background.push(
        startLocalTimer(ctx, { tick: () => runTick(ctx, RunTrigger.schedule), signal }),
        runLocalWorker({ ...ctx, config: allowingFixtureCdn(ctx.config, cdn) }, { untilIdle: false, signal }),
      );
    } else {
      say('schedule:   EventBridge Scheduler; the deployed functions run the ticks and the worker');
    }
    say('Ctrl-C stops.');
    await new Promise<void>((done) => (signal.aborted ? done() : signal.addEventListener('abort', () => done(), { once: true })));
    say('stopping…');
    await Promise.allSettled(background);
  } finally {
    releaseLock();
    await server.close();
    await cdn?.close();
  }
}
