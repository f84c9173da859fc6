import { setFlagsFromString } from 'node:v8';
import { loadConfig } from '../config.ts';
import { type AppContext, createContext } from '../context.ts';
import { runningDev } from '../local/dev-lock.ts';
import { type LocalStack, startLocalStack } from '../local/stack.ts';
import { createLogger } from '../observability/logger.ts';

export interface Session {
  ctx: AppContext;
  stack: LocalStack;
}

export interface SessionOptions {
  /**
   * False for commands that read only the database (products, imports, failures, report, supplier…):
   * they neither load the AWS SDK nor start or reach the SQS/S3 emulator.
   */
  aws?: boolean;
  /**
   * True for commands that may work for minutes (import, enqueue, work): the embedded Postgres keeps
   * V8's optimizing WebAssembly compiler. A short command runs it on the baseline compiler only: the
   * optimizing compiler's background work on Postgres' largest functions held every command ~0.3 s
   * at exit, longer than the command's own queries.
   */
  longRunning?: boolean;
}

/**
 * Runs one CLI command against the world the environment names: the embedded stack under DATA_DIR
 * for whatever is unset, the real services for whatever is set. Always closes what it opened.
 * Refuses while `dev` runs on the same DATA_DIR: the embedded Postgres is one process's files.
 */
export async function withSession<T>(run: (session: Session) => Promise<T>, options: SessionOptions = {}): Promise<T> {
  const config = loadConfig();
  const dev = config.databaseUrl ? undefined : runningDev(config.local.dataDir);
  if (dev) {
    throw new Error(`dev (pid ${dev.pid}) holds the embedded database in DATA_DIR: use ${dev.url}/ or its API, or stop it first`);
  }
  const log = createLogger(config.logLevel ?? 'WARN');
  const aws = options.aws !== false;
  if (!config.databaseUrl && !options.longRunning) setFlagsFromString('--no-wasm-tier-up --no-wasm-dynamic-tiering');
  const stack = await startLocalStack(config, { aws, log });
  try {
    const ctx = await createContext(stack.config, log, { aws });
    try {
      return await run({ ctx, stack });
    } finally {
      await ctx.close();
    }
  } finally {
    await stack.stop();
  }
}
