/**
 * `npm run test:faults`: runs every fault scenario against the real worker (the same table and helpers
 * as test/integration/faults) and prints what each fault ended as. Exits 1 when any end state differs
 * from the table, or any image was lost or duplicated.
 * Set DATABASE_URL to a PostgreSQL server to crash a real worker process; without it, embedded PGlite.
 */
import type { Env } from '../src/config.ts';
import type { AppContext } from '../src/context.ts';
import { table } from '../src/cli/output.ts';
import { type FixtureCdn, startFixtureCdn } from '../src/local/fixture-cdn.ts';
import { crashEnv, runCrashScenario } from '../test/faults/crash.ts';
import { databaseOutageEnv, runDatabaseOutageScenario } from '../test/faults/database-outage.ts';
import { runImportCrashScenario } from '../test/faults/import-crash.ts';
import { type ScenarioResult, scenarioPassed } from '../test/faults/outcome.ts';
import { runRetryAfterScenario } from '../test/faults/retry-after.ts';
import { faultEnv, runCdnFaultScenarios } from '../test/faults/scenarios.ts';
import { lockTimeoutEnv, runImportLockScenario, runSharedUrlScenario, runStaleWriterScenario, sourcesEnv } from '../test/faults/sources.ts';
import { runStorageOutageScenario } from '../test/faults/storage-outage.ts';
import { hasDatabaseServer, startTestEnvironment } from '../test/helpers/environment.ts';

type Group = (ctx: AppContext, cdn: FixtureCdn) => Promise<ScenarioResult[]>;

/** Each group gets its own database, emulator and CDN, as each test file does. */
async function runGroup(name: string, env: Env, group: Group): Promise<ScenarioResult[]> {
  const cdn = await startFixtureCdn();
  const test = await startTestEnvironment({ ...faultEnv, ...env });
  try {
    return await group(test.ctx, cdn);
  } catch (error) {
    return [{ fault: name, expected: 'a result', observed: 'the scenario threw', lost: 0, duplicates: 0, problems: [String(error)] }];
  } finally {
    await test.stop();
    await cdn.close();
  }
}

/** Scenarios that need a second database session, which embedded PGlite (one session) cannot give. */
const notRun: string[] = [];
async function onServer(what: string, run: () => Promise<ScenarioResult>): Promise<ScenarioResult[]> {
  if (hasDatabaseServer) return [await run()];
  notRun.push(what);
  return [];
}

// Two lanes, like the test runner's two workers; the long ones (lease waits) are spread across both.
const lanes = await Promise.all([
  (async () => [
    ...(await runGroup('CDN faults', {}, runCdnFaultScenarios)),
    ...(await runGroup('politeness and S3', {}, async (ctx, cdn) => [await runRetryAfterScenario(ctx, cdn), await runStorageOutageScenario(ctx, cdn)])),
    ...(await runGroup('database outage', databaseOutageEnv, async (ctx, cdn) => [await runDatabaseOutageScenario(ctx, cdn)])),
    ...(await runGroup('image sources', sourcesEnv, async (ctx, cdn) => [
      ...(await onServer('one URL on two suppliers’ products, two workers at once', () => runSharedUrlScenario(ctx, cdn))),
      await runStaleWriterScenario(ctx, cdn),
      ...(await onServer('the import’s database session dies mid-merge', () => runImportCrashScenario(ctx, cdn))),
    ])),
  ])(),
  (async () => [
    ...(await runGroup('crash, redelivery', crashEnv.redelivery, async (ctx, cdn) => [await runCrashScenario(ctx, cdn, 'redelivery')])),
    ...(await runGroup('crash, sweep', crashEnv.sweep, async (ctx, cdn) => [await runCrashScenario(ctx, cdn, 'sweep')])),
    ...(await runGroup('import lock', lockTimeoutEnv, (ctx, cdn) => onServer('a worker meets an import’s lock on the product', () => runImportLockScenario(ctx, cdn)))),
  ])(),
]);
const results = lanes.flat();

process.stdout.write(
  `${table(
    results.map((r) => ({
      fault: r.fault,
      expected: r.expected,
      observed: r.observed,
      'images lost': r.lost,
      duplicates: r.duplicates,
      ok: scenarioPassed(r) ? 'yes' : 'NO',
    })),
  )}\n`,
);
const failed = results.filter((r) => !scenarioPassed(r));
for (const r of failed) process.stdout.write(`\n${r.fault}:\n  observed: ${r.observed}\n${r.problems.map((p) => `  - ${p}\n`).join('')}`);
process.stdout.write(`\n${results.length - failed.length}/${results.length} scenarios ended as expected; ${results.reduce((n, r) => n + r.lost, 0)} images lost, ${results.reduce((n, r) => n + r.duplicates, 0)} duplicates\n`);
if (notRun.length > 0) process.stdout.write(`not run on embedded PGlite (set DATABASE_URL to a PostgreSQL server): ${notRun.join('; ')}\n`);
// As the tests do (itOnServer): a CI run without a server fails rather than pass without them.
const incomplete = notRun.length > 0 && Boolean(process.env.CI);
// The fixture CDN's held responses keep timers alive for a minute after a crash scenario: exit now.
process.exit(failed.length === 0 && !incomplete ? 0 : 1);
