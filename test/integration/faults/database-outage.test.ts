import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureCdn, startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import { databaseOutageEnv, runDatabaseOutageScenario } from '../../faults/database-outage.ts';
import { faultEnv } from '../../faults/scenarios.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';

describe('Postgres unreachable during a batch', () => {
  let env: TestEnvironment;
  let cdn: FixtureCdn;

  beforeAll(async () => {
    cdn = await startFixtureCdn();
    env = await startTestEnvironment({ ...faultEnv, ...databaseOutageEnv });
  });
  afterAll(async () => {
    await env?.stop();
    await cdn?.close();
  });

  it('messages come back while it is away, none is lost, and everything finishes once it returns', async () => {
    const result = await runDatabaseOutageScenario(env.ctx, cdn);
    expect(result.problems).toEqual([]);
    expect(result.observed).toBe(result.expected);
    expect([result.lost, result.duplicates]).toEqual([0, 0]);
  });
});
