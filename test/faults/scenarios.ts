import type { AppContext } from '../../src/context.ts';
import type { Fault, FixtureCdn } from '../../src/local/fixture-cdn.ts';
import { runLocalWorker } from '../../src/local/local-worker.ts';
import { renderSampleImage } from '../../src/local/sample-images.ts';
import { enqueuePendingImages } from '../../src/queue/enqueue.ts';
import { checkPipelineInvariants } from '../helpers/invariants.ts';
import { imageRow, seedProduct } from '../helpers/seed.ts';
import { describeOutcome, type ScenarioResult } from './outcome.ts';

/**
 * Settings every fault scenario runs with: two receives per message, a two-second visibility timeout
 * and sub-second fetch timeouts, so a whole table drains in seconds. As in production (Lambda timeout
 * ≤ visibility / 6), one attempt must end well inside the visibility timeout; otherwise the message
 * comes back while its first attempt still runs and burns a receive on `busy`.
 * The fixture CDN is on 127.0.0.1.
 */
export const faultEnv = {
  FETCH_ALLOW_HOSTS: '127.0.0.1',
  MAX_RECEIVES: '2',
  LOCAL_VISIBILITY_TIMEOUT: '2',
  FETCH_CONNECT_TIMEOUT_MS: '500',
  FETCH_HEADERS_TIMEOUT_MS: '500',
  FETCH_BODY_TIMEOUT_MS: '500',
  FETCH_RESPONSE_TIMEOUT_MS: '800',
  IMAGE_MAX_DIMENSION: '256',
  WORKER_CONCURRENCY: '8',
} as const;

const maxReceives = Number(faultEnv.MAX_RECEIVES);

export interface CdnFaultScenario {
  /** Stable id: the fixture path and the product SKU. */
  name: string;
  /** As the report prints it. */
  fault: string;
  /** What the fixture CDN does for this image; `healthy` serves a real JPEG. */
  serve: Fault | 'healthy';
  /** `done`, `failed: <kind>`, or `failed: exhausted (<transient kind>)` after every allowed receive. */
  outcome: string;
}

/**
 * Every way a supplier's server misbehaves, and how the image must end. Transient faults are
 * retried on each receive and then recorded as `exhausted` with the last error's kind; permanent
 * ones fail on the first attempt with their own kind; the bytes, not the Content-Type, decide.
 */
export const cdnFaultScenarios: readonly CdnFaultScenario[] = [
  { name: 'healthy', fault: 'none (control)', serve: 'healthy', outcome: 'done' },
  { name: 'status500', fault: 'HTTP 500', serve: 'status500', outcome: 'failed: exhausted (http_5xx)' },
  { name: 'status503', fault: 'HTTP 503 + Retry-After', serve: 'status503RetryAfter', outcome: 'failed: exhausted (http_5xx)' },
  { name: 'status429', fault: 'HTTP 429 + Retry-After', serve: 'status429', outcome: 'failed: exhausted (rate_limited)' },
  { name: 'timeout', fault: 'no response headers', serve: 'timeout', outcome: 'failed: exhausted (timeout)' },
  { name: 'reset', fault: 'connection reset', serve: 'reset', outcome: 'failed: exhausted (network)' },
  { name: 'slow-drip', fault: 'slow drip (16 B / 50 ms)', serve: 'slowDrip', outcome: 'failed: exhausted (timeout)' },
  { name: 'truncated', fault: 'truncated body', serve: 'truncated', outcome: 'failed: exhausted (network)' },
  { name: 'wrong-type', fault: 'JPEG served as text/html', serve: 'wrongContentType', outcome: 'done' },
  { name: 'not-an-image', fault: 'HTML served as image/jpeg', serve: 'notAnImage', outcome: 'failed: not_an_image' },
  { name: 'pixel-bomb', fault: 'pixel bomb (20000×20000 PNG)', serve: 'pixelBomb', outcome: 'failed: too_many_pixels' },
  { name: 'redirect-loop', fault: 'redirect loop', serve: 'redirectLoop', outcome: 'failed: too_many_redirects' },
  {
    name: 'redirect-metadata',
    fault: 'redirect to 169.254.169.254',
    serve: { redirectTo: 'http://169.254.169.254/latest/meta-data/' },
    outcome: 'failed: blocked_address',
  },
  { name: 'status404', fault: 'HTTP 404', serve: 'status404', outcome: 'failed: http_4xx' },
];

/** Attempts (real downloads) an outcome takes: MAX_RECEIVES for given-up retries, one otherwise. */
export const attemptsFor = (outcome: string) => (outcome.startsWith('failed: exhausted') ? maxReceives : 1);

const withAttempts = (outcome: string, attempts: number) => `${outcome} after ${attempts} attempt${attempts === 1 ? '' : 's'}`;

/**
 * Runs the whole table through the real pipeline at once: one product per fault with the faulty
 * image first and a healthy neighbour second (the same picture for every product, each under a URL
 * of its own: one source each, and one content-addressed object for all, so the bucket must hold it
 * once), seed → enqueue → local worker until the queue is idle → invariants.
 * Each result compares the faulty image's end state and attempts with the table, and counts the
 * CDN hits: a transient fault is fetched once per receive, a permanent one once.
 */
export async function runCdnFaultScenarios(ctx: AppContext, cdn: FixtureCdn): Promise<ScenarioResult[]> {
  const jpeg = await renderSampleImage({ label: 'FAULT', width: 320, height: 240, format: 'jpeg', hue: 45 });
  const neighbourBody = await renderSampleImage({ label: 'OK', width: 200, height: 150, format: 'jpeg', hue: 160 });
  const seeded: Array<{ scenario: CdnFaultScenario; path: string; imageId: number; neighbourId: number }> = [];
  for (const scenario of cdnFaultScenarios) {
    const path = `/faults/${scenario.name}.jpg`;
    cdn.set(path, { body: jpeg, contentType: 'image/jpeg' });
    if (scenario.serve !== 'healthy') cdn.setFault(path, scenario.serve);
    const neighbour = `/faults/${scenario.name}-neighbour.jpg`;
    cdn.set(neighbour, { body: neighbourBody });
    const { imageIds } = await seedProduct(ctx, 'faults', scenario.name, [cdn.url(path), cdn.url(neighbour)]);
    seeded.push({ scenario, path, imageId: imageIds[0]!, neighbourId: imageIds[1]! });
  }

  await enqueuePendingImages(ctx);
  await runLocalWorker(ctx, { untilIdle: true });
  const report = await checkPipelineInvariants(ctx);

  const results: ScenarioResult[] = [];
  for (const { scenario, path, imageId, neighbourId } of seeded) {
    const row = await imageRow(ctx, imageId);
    const neighbour = await imageRow(ctx, neighbourId);
    const attempts = attemptsFor(scenario.outcome);
    const mine = (problem: string) => problem.includes(`source ${imageId} `) || problem.includes(`source ${neighbourId} `);
    const problems = report.problems.filter(mine);
    if (neighbour?.status !== 'done') problems.push(`its healthy neighbour ended ${describeOutcome(neighbour)}`);
    if (cdn.hits(path) !== attempts) problems.push(`the CDN saw ${cdn.hits(path)} requests for it, expected ${attempts}`);
    if (row?.status === 'failed' && !row.last_error) problems.push('failed without a message');
    results.push({
      fault: scenario.fault,
      expected: withAttempts(scenario.outcome, attempts),
      // Real downloads: a claim handed back because a 429/503 paused the shared host is not an attempt.
      observed: withAttempts(describeOutcome(row), row?.downloads ?? 0),
      lost: report.lostSourceIds.filter((id) => id === imageId || id === neighbourId).length,
      duplicates: 0,
      problems,
    });
  }
  // Orphan objects and duplicate URLs belong to no single fault: reported on a line of their own.
  const unattributed = report.problems.filter((p) => !seeded.some(({ imageId, neighbourId }) => p.includes(`source ${imageId} `) || p.includes(`source ${neighbourId} `)));
  const { rows: neighbourKeys } = await ctx.pool.query<{ s3_key: string | null }>(
    `SELECT DISTINCT s3_key FROM image_sources WHERE id = ANY($1::bigint[])`,
    [seeded.map((s) => s.neighbourId)],
  );
  if (neighbourKeys.length !== 1) unattributed.push(`the ${seeded.length} neighbours (one picture) have ${neighbourKeys.length} distinct objects`);
  results.push({
    fault: 'all CDN faults: bucket and product URLs',
    expected: `${report.sources} sources final`,
    observed: `${report.done + report.failed} sources final`,
    lost: report.lost,
    duplicates: report.duplicates,
    problems: unattributed,
  });
  return results;
}
