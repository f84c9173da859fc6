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
 * One rate-limited image (429, Retry-After 3 s) in a batch with three healthy ones from the same host,
 * the worker's SQS calls recorded by a proxy. The 429 pauses the host for every worker (the host
 * budget): the limited message is pushed back by the server's delay, and healthy ones that had not
 * started yet are pushed back to the end of the same pause, never past it (Retry-After alone used to
 * delay only the one message while the others kept hitting the host). The healthy images finish after
 * one download each; on its second download the limited one is recorded as exhausted, with no further delay.
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
    // The pause is Retry-After from the 429's arrival; a deferral rounds what is left of it up to a second.
    const pastThePause = delays.filter((delay) => delay > RETRY_AFTER + 1);
    const report = await checkPipelineInvariants(ctx);
    return resultFrom(
      'HTTP 429 + Retry-After 3 s in a batch of 4 from one host',
      `limited: 1 × failed: exhausted (rate_limited) after 2 attempts; others: 3 × done after 1 attempt; ` +
        `ChangeMessageVisibility: ${RETRY_AFTER} s for the limited message, none past the pause`,
      `limited: ${await describeImages(ctx, imageIds.slice(0, 1))}; others: ${await describeImages(ctx, imageIds.slice(1))}; ` +
        `ChangeMessageVisibility: ${delays.includes(RETRY_AFTER) ? `${RETRY_AFTER} s for the limited message` : `[${delays.join(', ')}]`}, ` +
        `${pastThePause.length === 0 ? 'none past the pause' : `past the pause: [${pastThePause.join(', ')}]`}`,
      report,
    );
  } finally {
    await proxied.close();
    await proxy.close();
  }
}
