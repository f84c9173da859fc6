import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureCdn, startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import { cdnFaultScenarios, faultEnv, runCdnFaultScenarios } from '../../faults/scenarios.ts';
import type { ScenarioResult } from '../../faults/outcome.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';

describe('fault injection: every way a supplier CDN misbehaves ends in a recorded state', () => {
  let env: TestEnvironment;
  let cdn: FixtureCdn;
  let results: ScenarioResult[];

  beforeAll(async () => {
    cdn = await startFixtureCdn();
    env = await startTestEnvironment(faultEnv);
    results = await runCdnFaultScenarios(env.ctx, cdn);
  });
  afterAll(async () => {
    await env?.stop();
    await cdn?.close();
  });

  it.each(cdnFaultScenarios.map((s, i) => [s.fault, i] as const))('%s', (_fault, index) => {
    const result = results[index]!;
    expect(result.observed).toBe(result.expected);
    expect(result.problems).toEqual([]);
    expect(result.lost).toBe(0);
  });

  it('the bucket holds exactly the distinct done images and no product lists a duplicate or dangling URL', () => {
    const whole = results.at(-1)!;
    expect(whole.problems).toEqual([]);
    expect([whole.lost, whole.duplicates]).toEqual([0, 0]);
  });
});
