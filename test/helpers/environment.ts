import { randomBytes } from 'node:crypto';
import { it } from 'vitest';
import pg from 'pg';
import { type Env, loadConfig } from '../../src/config.ts';
import { type AppContext, createContext } from '../../src/context.ts';
import { startLocalStack } from '../../src/local/stack.ts';
import { silentLogger } from '../../src/observability/logger.ts';

/**
 * A fresh database on the server named by the test run's DATABASE_URL (CI points it at the machine's
 * PostgreSQL), dropped afterwards. Without DATABASE_URL the embedded PGlite is used instead.
 */
async function createScratchDatabase(serverUrl: string) {
  const name = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export interface TestEnvironment {
  ctx: AppContext;
  stop(): Promise<void>;
}

/**
 * Everything a test file needs, isolated: its own database, an in-process SQS/S3 emulator on port 0
 * with the images queue, DLQ and buckets, migrations applied, and an AppContext over them.
 * `env` overrides configuration the way environment variables would.
 */
export async function startTestEnvironment(env: Env = {}): Promise<TestEnvironment> {
  const serverUrl = process.env.DATABASE_URL;
  const scratch = serverUrl ? await createScratchDatabase(serverUrl) : undefined;
  const config = loadConfig({
    LOG_LEVEL: 'SILENT',
    LOCAL_VISIBILITY_TIMEOUT: '1',
    LOCAL_AWS_PORT: '0',
    DATABASE_POOL_MAX: '4',
    // The suite runs many files at once on two cores: a worker's done transaction can then wait more
    // than the production second for another's on the same product, and retry. Tests of the lock
    // timeout itself set it back (test/integration/images/image-sources.test.ts).
    DATABASE_LOCK_TIMEOUT_MS: '10000',
    ...env,
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
  });
  const stack = await startLocalStack(config, { inMemory: true });
  const ctx = await createContext(stack.config, silentLogger);
  return {
    ctx,
    async stop() {
      await ctx.close();
      await stack.stop();
      await scratch?.drop();
    },
  };
}

/** Whether this run has a real PostgreSQL server (DATABASE_URL); without one tests use PGlite, one session. */
export const hasDatabaseServer = Boolean(process.env.DATABASE_URL);

/**
 * `it` for tests of concurrency and crashes, which mean nothing on PGlite's single session. Without a
 * server they are skipped on a developer's machine, and fail in CI (CI=true) instead of passing serialised.
 */
export function itOnServer(name: string, fn: () => Promise<void>, timeout?: number) {
  if (hasDatabaseServer) return it(name, fn, timeout);
  if (process.env.CI) {
    return it(name, () => {
      throw new Error('needs a PostgreSQL server: set DATABASE_URL (.ci/run points it at 127.0.0.1:5432)');
    });
  }
  return it.skip(name, fn);
}
