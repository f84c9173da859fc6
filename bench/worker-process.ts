import type { Config } from '../src/config.ts';
import { createContext } from '../src/context.ts';
import { runLocalWorker } from '../src/local/local-worker.ts';
import type { PollStats } from '../src/local/queue-poller.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { countQueries, type StatementStats } from './count-queries.ts';
import { answerParent } from './measure.ts';

export interface WorkerRun {
  stats: PollStats;
  /** Epoch ms when polling began, to measure against the rows' updated_at. */
  startedAt: number;
  /** CPU this process used (user + system, all threads) while it worked. */
  cpuMs: number;
  /** Statements this process sent to PostgreSQL, and their summed wait (client side: send to answer). */
  db: { calls: number; ms: number; byStatement: Record<string, StatementStats> };
}

// One worker process, as one Lambda container: the real handler behind the local poller, until the
// queue is idle. Run by the bench with `runInChild`, so its CPU and peak memory are its own.
answerParent<{ config: Config }, WorkerRun>(async ({ config }) => {
  const ctx = await createContext(config, silentLogger);
  const queries = countQueries(ctx.pool);
  try {
    const startedAt = Date.now();
    const cpu = process.cpuUsage();
    const stats = await runLocalWorker(ctx, { untilIdle: true });
    const used = process.cpuUsage(cpu);
    return { stats, startedAt, cpuMs: (used.user + used.system) / 1000, db: { calls: queries.calls(), ms: queries.ms(), byStatement: queries.byStatement() } };
  } finally {
    await ctx.close();
  }
});
