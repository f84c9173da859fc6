import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { AppContext } from '../../src/context.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** What it printed on stderr so far (errors only: it runs with LOG_LEVEL=ERROR). */
  stderr(): string;
  /** Resolves with the exit code and signal. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** `work --json`'s stats once it exits on its own (`--until-idle`). */
  stats(): Promise<{ messages: number; invocations: number; failures: number }>;
}

/**
 * A real `node src/cli.ts work` child process on the test's database and emulator (AWS_ENDPOINT_URL,
 * queue URLs, bucket), with the test context's worker settings; `env` overrides them. Needs a
 * PostgreSQL server: embedded PGlite is one session inside the test process.
 */
export function startWorkerProcess(ctx: AppContext, env: Record<string, string> = {}, args: string[] = []): WorkerProcess {
  const { config } = ctx;
  const child = spawn(process.execPath, ['src/cli.ts', 'work', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: config.databaseUrl,
      DATABASE_POOL_MAX: '2',
      AWS_REGION: config.aws.region,
      AWS_ENDPOINT_URL: config.aws.endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      IMAGES_QUEUE_URL: ctx.queueUrl,
      IMAGES_DLQ_URL: ctx.dlqUrl,
      MEDIA_BUCKET: config.buckets.media,
      PUBLIC_MEDIA_BASE_URL: config.publicMediaBaseUrl,
      FETCH_ALLOW_HOSTS: config.fetch.allowHosts.join(','),
      FETCH_RESPONSE_TIMEOUT_MS: String(config.fetch.responseTimeoutMs),
      FETCH_HOST_MAX_CONCURRENCY: String(config.hostBudget.maxConcurrency),
      ...(config.hostBudget.maxRate === null ? {} : { FETCH_HOST_MAX_RPS: String(config.hostBudget.maxRate) }),
      MAX_RECEIVES: String(config.queue.maxReceives),
      PROCESSING_LEASE_SECONDS: String(config.enqueue.processingLeaseSeconds),
      LOCAL_BATCH_SIZE: String(config.local.batchSize),
      LOCAL_MAX_CONCURRENCY: String(config.local.maxConcurrency),
      WORKER_CONCURRENCY: String(config.worker.concurrency),
      LOG_LEVEL: 'ERROR',
      ...env,
    },
  });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    stderr: () => stderr,
    exited,
    async stats() {
      const [code] = await exited;
      if (code !== 0) throw new Error(`worker process exited ${code}: ${stderr}`);
      return JSON.parse(stdout) as { messages: number; invocations: number; failures: number };
    },
  };
}
