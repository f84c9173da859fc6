import type { FixtureCdn } from '../../src/local/fixture-cdn.ts';
import { runLocalWorker } from '../../src/local/local-worker.ts';
import { renderSampleImage } from '../../src/local/sample-images.ts';
import { enqueuePendingImages } from '../../src/queue/enqueue.ts';
import type { AppContext } from '../../src/context.ts';
import { startAwsProxy } from '../helpers/aws-proxy.ts';
import { checkPipelineInvariants } from '../helpers/invariants.ts';
import { seedProduct } from '../helpers/seed.ts';
import { describeImages, resultFrom, type ScenarioResult, withAwsEndpoint } from './outcome.ts';

const RETRY_AFTER = 3;

/**
 * One rate-limited image (429, Retry-After 3 s) in a batch with three healthy ones, the worker's SQS
 * calls recorded by a proxy: the healthy images finish on their first attempt, and exactly one
 * ChangeMessageVisibility pushes back just the rate-limited message by the server's delay. On its
 * last receive it is recorded as exhausted, with no further delay.
 */
export async function runRetryAfterScenario(ctx: AppContext, cdn: FixtureCdn): Promise<ScenarioResult> {
  const proxy = await startAwsProxy(ctx.config.aws.endpoint!);
  const proxied = withAwsEndpoint(ctx, proxy.endpoint);
  // One poller receives the whole batch at once, as one Lambda invocation would.
  const worker: AppContext = { ...proxied, config: { ...proxied.config, local: { ...proxied.config.local, maxConcurrency: 1 } } };
  try {
    cdn.set('/polite/limited.jpg', { status: 429, headers: { 'retry-after': String(RETRY_AFTER) }, body: Buffer.from('slow down') });
    const healthy = [1, 2, 3].map((n) => `/polite/ok-${n}.jpg`);
    for (const [n, path] of healthy.entries()) {
      cdn.set(path, { body: await renderSampleImage({ label: `OK${n}`, width: 160, height: 120, format: 'jpeg', hue: n * 90 }) });
    }
    const { imageIds } = await seedProduct(ctx, 'polite', 'P-1', [cdn.url('/polite/limited.jpg'), ...healthy.map((p) => cdn.url(p))]);
    await enqueuePendingImages(ctx);
    await runLocalWorker(worker, { untilIdle: true });

    const delays = proxy.calls
      .filter((call) => call.action === 'ChangeMessageVisibility')
      .map((call) => (JSON.parse(call.body) as { VisibilityTimeout: number }).VisibilityTimeout);
    const report = await checkPipelineInvariants(ctx);
    return resultFrom(
      'HTTP 429 + Retry-After 3 s in a batch of 4',
      `limited: 1 × failed: exhausted (rate_limited) after 2 attempts; others: 3 × done after 1 attempt; ChangeMessageVisibility: [${RETRY_AFTER}]`,
      `limited: ${await describeImages(ctx, imageIds.slice(0, 1))}; others: ${await describeImages(ctx, imageIds.slice(1))}; ChangeMessageVisibility: [${delays.join(', ')}]`,
      report,
    );
  } finally {
    await proxied.close();
    await proxy.close();
  }
}
