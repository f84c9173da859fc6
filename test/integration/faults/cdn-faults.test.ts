import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureCdn, startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import type { ScenarioResult } from '../../faults/outcome.ts';
import { runRetryAfterScenario } from '../../faults/retry-after.ts';
import { cdnFaultScenarios, faultEnv, runCdnFaultScenarios } from '../../faults/scenarios.ts';
import { runStorageOutageScenario } from '../../faults/storage-outage.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';

function expectClean(result: ScenarioResult) {
  expect(result.observed).toBe(result.expected);
  expect(result.problems).toEqual([]);
  expect([result.lost, result.duplicates]).toEqual([0, 0]);
}

// One environment for the file: every scenario drains the queue before the next starts, and the
// invariant check covers everything written so far.
let env: TestEnvironment;
let cdn: FixtureCdn;
beforeAll(async () => {
  cdn = await startFixtureCdn();
  env = await startTestEnvironment(faultEnv);
});
afterAll(async () => {
  await env?.stop();
  await cdn?.close();
});

describe('fault injection: every way a supplier CDN misbehaves ends in a recorded state', () => {
  let results: ScenarioResult[];
  beforeAll(async () => {
    results = await runCdnFaultScenarios(env.ctx, cdn);
  });

  it.each(cdnFaultScenarios.map((s, i) => [s.fault, i] as const))('%s', (_fault, index) => {
    expectClean(results[index]!);
  });

  it('the bucket holds exactly the distinct done images and no product lists a duplicate or dangling URL', () => {
    expectClean(results.at(-1)!);
  });
});

describe('politeness and storage faults, through a recording proxy in front of SQS/S3', () => {
  it('429 with Retry-After pauses the host: that message is pushed back by the delay, the rest of the batch no further than the pause', async () => {
    expectClean(await runRetryAfterScenario(env.ctx, cdn));
  });

  it('S3 PutObject failing past the SDK retries is retried by redelivery and ends done', async () => {
    expectClean(await runStorageOutageScenario(env.ctx, cdn));
  });
});
