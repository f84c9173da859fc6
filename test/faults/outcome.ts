import type { AppContext } from '../../src/context.ts';
import { createAwsClients } from '../../src/aws-clients.ts';
import { createDb } from '../../src/db/client.ts';
import type { InvariantReport } from '../helpers/invariants.ts';

/** One line of the fault report: what a fault should end as, what it did end as, and the invariant counts. */
export interface ScenarioResult {
  fault: string;
  expected: string;
  observed: string;
  lost: number;
  duplicates: number;
  /** Broken invariants and anything else the scenario noticed. */
  problems: string[];
}

export function scenarioPassed(result: ScenarioResult): boolean {
  return result.expected === result.observed && result.lost === 0 && result.duplicates === 0 && result.problems.length === 0;
}

/** Builds a result whose counts and problems come from an invariant check. */
export function resultFrom(fault: string, expected: string, observed: string, report: InvariantReport, problems: string[] = []): ScenarioResult {
  return { fault, expected, observed, lost: report.lost, duplicates: report.duplicates, problems: [...problems, ...report.problems] };
}

interface ImageRowOutcome {
  status: string;
  error_kind: string | null;
  last_error: string | null;
}

/**
 * An image source's end state as the report prints it: `done`, `failed: <kind>`, or for given-up retries
 * `failed: exhausted (<last transient kind>)`; anything else is a state that should not outlive a drain.
 */
export function describeOutcome(row: ImageRowOutcome | undefined): string {
  if (!row) return 'missing';
  if (row.status !== 'failed') return row.status;
  if (row.error_kind === 'exhausted') return `failed: exhausted (${/last error \(([a-z_0-9]+)\)/.exec(row.last_error ?? '')?.[1] ?? '?'})`;
  return `failed: ${row.error_kind}`;
}

/** The same context, its SQS and S3 clients talking to another endpoint (a proxy in front of the emulator). */
export function withAwsEndpoint(ctx: AppContext, endpoint: string): AppContext {
  const config = { ...ctx.config, aws: { ...ctx.config.aws, endpoint } };
  const { sqs, s3 } = createAwsClients(config);
  return {
    ...ctx,
    config,
    sqs,
    s3,
    async close() {
      sqs.destroy();
      s3.destroy();
    },
  };
}

/** The same context over its own pool to another database URL (a proxy in front of Postgres). */
export function withDatabaseUrl(ctx: AppContext, databaseUrl: string): AppContext {
  const { pool, db } = createDb(databaseUrl, ctx.config.databasePoolMax);
  return { ...ctx, config: { ...ctx.config, databaseUrl }, pool, db, close: () => pool.end() };
}

/**
 * End states of several image sources, grouped: `6 × done after 2 attempts`, `1 × processing after 1 attempt`.
 * An attempt is a real download (`downloads`): claims handed back because the host had no slot or was
 * paused do not count (the fencing token `attempts` does count them). A re-queue starts it again.
 */
export async function describeImages(ctx: AppContext, sourceIds: readonly number[]): Promise<string> {
  const { rows } = await ctx.pool.query<ImageRowOutcome & { attempts: number }>(
    `SELECT status, error_kind, last_error, downloads AS attempts FROM image_sources WHERE id = ANY($1::bigint[]) ORDER BY id`,
    [sourceIds],
  );
  const groups = new Map<string, number>();
  for (const row of rows) {
    const line = `${describeOutcome(row)} after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'}`;
    groups.set(line, (groups.get(line) ?? 0) + 1);
  }
  return [...groups].map(([line, count]) => `${count} × ${line}`).join(', ');
}

/**
 * Polls until `condition` holds. Sequencing for tests (wait until the worker is mid-batch), never an
 * assertion about speed: the deadline only stops a broken scenario from hanging.
 */
export async function waitUntil(what: string, condition: () => Promise<boolean> | boolean, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
