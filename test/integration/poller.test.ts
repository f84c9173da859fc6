import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollQueue } from '../../src/local/queue-poller.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startTestEnvironment, type TestEnvironment } from '../helpers/environment.ts';

describe('the local event-source poller', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment();
  });
  afterAll(() => env?.stop());

  it('gives up at once on an error SQS will repeat forever (a queue that does not exist)', async () => {
    const { ctx } = env;
    const missing = ctx.queueUrl.replace(/catalog-images$/, 'no-such-queue');
    const polling = pollQueue(
      { sqs: ctx.sqs, queueUrl: missing, handler: async () => ({ batchItemFailures: [] }), batchSize: 10, maxConcurrency: 1, log: silentLogger },
      { untilIdle: true },
    );
    await expect(polling).rejects.toThrow(/does not exist|NonExistentQueue/i);
  });
});
