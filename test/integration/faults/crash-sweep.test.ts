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
    env = await startTestEnvironment({ ...faultEnv, ...crashEnv.sweep });
  });
  afterAll(async () => {
    await env?.stop();
    await cdn?.close();
  });

  it('receives run out while the dead worker’s lease holds: the lease sweep re-sends the images and they finish', async () => {
    const result = await runCrashScenario(env.ctx, cdn, 'sweep');
    expect(result.problems).toEqual([]);
    expect(result.observed).toBe(result.expected);
    expect([result.lost, result.duplicates]).toEqual([0, 0]);
  });
});
