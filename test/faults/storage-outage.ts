import type { AppContext } from '../../src/context.ts';
import type { FixtureCdn } from '../../src/local/fixture-cdn.ts';
import { runLocalWorker } from '../../src/local/local-worker.ts';
import { renderSampleImage } from '../../src/local/sample-images.ts';
import { enqueuePendingImages } from '../../src/queue/enqueue.ts';
import { startAwsProxy } from '../helpers/aws-proxy.ts';
import { checkPipelineInvariants } from '../helpers/invariants.ts';
import { seedProduct } from '../helpers/seed.ts';
import { describeImages, resultFrom, type ScenarioResult, withAwsEndpoint } from './outcome.ts';

/**
 * More failures per object than the S3 client's own three attempts, so the message itself must be
 * retried. 503 (SlowDown) comes last: the SDK backs off longer after throttling errors, and the whole
 * attempt must stay inside the short visibility timeout these tests run with, as a Lambda's
 * timeout stays inside the real queue's.
 */
const FAILURES_PER_OBJECT = [500, 500, 503];

/**
 * S3 sheds load: a proxy in front of the emulator answers the first three PutObject calls for every
 * media key with 500/503. The SDK's retries give up, the worker reports `storage` (transient), the
 * message comes back and the next attempt stores the object and finishes the image.
 */
export async function runStorageOutageScenario(ctx: AppContext, cdn: FixtureCdn): Promise<ScenarioResult> {
  const proxy = await startAwsProxy(ctx.config.aws.endpoint!);
  const worker = withAwsEndpoint(ctx, proxy.endpoint);
  const bucketPath = `/${ctx.config.buckets.media}/`;
  const failedPuts = new Map<string, number>();
  proxy.intercept((call) => {
    if (call.method !== 'PUT' || !call.path.startsWith(bucketPath)) return undefined;
    const key = call.path.split('?')[0]!;
    const seen = failedPuts.get(key) ?? 0;
    if (seen >= FAILURES_PER_OBJECT.length) return undefined;
    failedPuts.set(key, seen + 1);
    return FAILURES_PER_OBJECT[seen];
  });
  try {
    const paths = [1, 2, 3].map((n) => `/s3-outage/${n}.jpg`);
    for (const [n, path] of paths.entries()) {
      cdn.set(path, { body: await renderSampleImage({ label: `S3-${n}`, width: 160, height: 120, format: 'jpeg', hue: 40 + n * 100 }) });
    }
    const { imageIds } = await seedProduct(ctx, 's3-outage', 'S-1', paths.map((p) => cdn.url(p)));
    await enqueuePendingImages(ctx);
    await runLocalWorker(worker, { untilIdle: true });

    const injected = proxy.calls.filter((call) => call.injected !== undefined).length;
    const stored = proxy.calls.filter((call) => call.method === 'PUT' && call.path.startsWith(bucketPath) && call.injected === undefined).length;
    const report = await checkPipelineInvariants(ctx);
    return resultFrom(
      'S3 PutObject 500, 500, 503 per object',
      `3 × done after 2 attempts; 9 PUTs refused, 3 stored`,
      `${await describeImages(ctx, imageIds)}; ${injected} PUTs refused, ${stored} stored`,
      report,
    );
  } finally {
    await worker.close();
    await proxy.close();
  }
}
