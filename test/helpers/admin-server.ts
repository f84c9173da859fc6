import type { Env } from '../../src/config.ts';
import type { AppContext } from '../../src/context.ts';
import { createLocalScheduleControl } from '../../src/local/local-schedule.ts';
import { runTick, RunTrigger } from '../../src/scheduled/run-tick.ts';
import { createAdminApp } from '../../src/web/admin-app.ts';
import { listenApp } from '../../src/web/listen.ts';
import { startTestEnvironment } from './environment.ts';

export interface AdminServer {
  ctx: AppContext;
  /** Where the admin app listens: `http://127.0.0.1:<port>`. */
  url: string;
  /** Closes the server, then the test environment under it. */
  stop(): Promise<void>;
}

/**
 * The admin app on a free port over a fresh test environment (`env` overrides its configuration),
 * guarded by `token`, with the local schedule running ticks in this process.
 */
export async function startAdminServer(token: string, env: Env = {}): Promise<AdminServer> {
  const environment = await startTestEnvironment(env);
  const { ctx } = environment;
  const schedule = createLocalScheduleControl(ctx, () => runTick(ctx, RunTrigger.manual));
  const server = await listenApp(createAdminApp(ctx, { schedule, token }), 0).catch(async (error: unknown) => {
    await environment.stop();
    throw error;
  });
  return {
    ctx,
    url: server.url,
    async stop() {
      await server.close();
      await environment.stop();
    },
  };
}
