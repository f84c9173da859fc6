import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureCdn, startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import { crashEnv, crashesRealProcess, runCrashScenario } from '../../faults/crash.ts';
import { faultEnv } from '../../faults/scenarios.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';

describe(`worker killed mid-batch (${crashesRealProcess ? 'SIGKILL of a child process' : 'in-process freeze: no DATABASE_URL'})`, () => {
  let env: TestEnvironment;
  let cdn: FixtureCdn;

  beforeAll(async () => {
    cdn = await startFixtureCdn();
    env = await startTestEnvironment({ ...faultEnv, ...crashEnv.redelivery });
  });
  afterAll(async () => {
    await env?.stop();
    await cdn?.close();
  });

  it('the messages come back after the visibility timeout, take the expired lease and finish; nothing stays processing', async () => {
    const result = await runCrashScenario(env.ctx, cdn, 'redelivery');
    expect(result.problems).toEqual([]);
    expect(result.observed).toBe(result.expected);
    expect([result.lost, result.duplicates]).toEqual([0, 0]);
  });
});
