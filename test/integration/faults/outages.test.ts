import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureCdn, startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import { scenarioPassed } from '../../faults/outcome.ts';
import { runRetryAfterScenario } from '../../faults/retry-after.ts';
import { faultEnv } from '../../faults/scenarios.ts';
import { runStorageOutageScenario } from '../../faults/storage-outage.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';

describe('politeness and storage faults, through a recording proxy in front of SQS/S3', () => {
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

  it('429 with Retry-After pushes back only that message, by that delay; the rest of the batch finishes first', async () => {
    const result = await runRetryAfterScenario(env.ctx, cdn);
    expect(result.observed).toBe(result.expected);
    expect(scenarioPassed(result)).toBe(true);
  });

  it('S3 PutObject failing past the SDK retries is retried by redelivery and ends done', async () => {
    const result = await runStorageOutageScenario(env.ctx, cdn);
    expect(result.observed).toBe(result.expected);
    expect(result.problems).toEqual([]);
    expect([result.lost, result.duplicates]).toEqual([0, 0]);
  });
});
