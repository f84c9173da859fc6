import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureCdn, startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import { runImportCrashScenario } from '../../faults/import-crash.ts';
import type { ScenarioResult } from '../../faults/outcome.ts';
import { faultEnv } from '../../faults/scenarios.ts';
import { lockTimeoutEnv, runImportLockScenario, runSharedUrlScenario, runStaleWriterScenario, sourcesEnv } from '../../faults/sources.ts';
import { itOnServer, startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';

function expectClean(result: ScenarioResult) {
  expect(result.problems).toEqual([]);
  expect(result.observed).toBe(result.expected);
  expect([result.lost, result.duplicates]).toEqual([0, 0]);
}

let cdn: FixtureCdn;
beforeAll(async () => {
  cdn = await startFixtureCdn();
});
afterAll(async () => {
  await cdn?.close();
});

describe('image sources under concurrency, stale writers and crashed imports', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment({ ...faultEnv, ...sourcesEnv });
  });
  afterAll(async () => {
    await env?.stop();
  });

  itOnServer('a URL on two suppliers’ products, claimed by two workers at once, is downloaded once and lands on both', async () => {
    expectClean(await runSharedUrlScenario(env.ctx, cdn));
  });

  it('a worker whose lease ran out writes after the source was failed, re-queued and claimed again: it matches nothing', async () => {
    expectClean(await runStaleWriterScenario(env.ctx, cdn));
  });

  itOnServer('an import whose session dies mid-merge is resumed by the next tick without its file; every product lands once', async () => {
    expectClean(await runImportCrashScenario(env.ctx, cdn));
  });
});

describe('a worker meeting an import’s lock, with the production lock timeout', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment({ ...faultEnv, ...lockTimeoutEnv });
  });
  afterAll(async () => {
    await env?.stop();
  });

  itOnServer('gives up after the lock timeout, is retried as `database`, and finishes on the next delivery', async () => {
    expectClean(await runImportLockScenario(env.ctx, cdn));
  });
});
