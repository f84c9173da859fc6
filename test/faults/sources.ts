import pg from 'pg';
import { collectOrphanMedia } from '../../src/admin/collect-orphan-media.ts';
import { requeueFailedImages } from '../../src/admin/requeue-failed.ts';
import type { AppContext } from '../../src/context.ts';
import { createImageFetcher } from '../../src/images/fetch.ts';
import { type ImageDelivery, type ImageDownloader, type ImageOutcome, processImages } from '../../src/images/process-image.ts';
import type { FixtureCdn } from '../../src/local/fixture-cdn.ts';
import { runLocalWorker } from '../../src/local/local-worker.ts';
import { renderSampleImage } from '../../src/local/sample-images.ts';
import { enqueuePendingImages } from '../../src/queue/enqueue.ts';
import { checkPipelineInvariants } from '../helpers/invariants.ts';
import { imageRow, productImageUrls, seedProduct } from '../helpers/seed.ts';
import { describeImages, resultFrom, type ScenarioResult, waitUntil } from './outcome.ts';

/**
 * The image-source scenarios' settings (over `faultEnv`): a 4 s processing lease, so the ABA scenario
 * waits out a real lease in seconds.
 */
export const sourcesEnv = { PROCESSING_LEASE_SECONDS: '4' } as const;

/**
 * The production lock timeout, for the scenario about it. The other groups keep the tests' 10 s
 * (test/helpers/environment.ts): under a loaded machine a worker may wait longer than a second for
 * another worker's commit on the same product, and that is not the fault they are about.
 */
export const lockTimeoutEnv = { DATABASE_LOCK_TIMEOUT_MS: '1000' } as const;

const picture = (label: string, hue: number) => renderSampleImage({ label, width: 160, height: 120, format: 'jpeg', hue });

const delivery = (sourceId: number, sourceUrl: string, receiveCount = 1): ImageDelivery => ({
  message: { sourceId, sourceUrl, attempt: 0 },
  receiveCount,
});

/** `done`, `busy`, `skipped (stale)`: one outcome as the report prints it. */
function outcomeName(outcome: ImageOutcome | undefined): string {
  if (!outcome) return 'deferred';
  if (outcome.result === 'retry') return outcome.kind;
  if (outcome.result === 'skipped') return `skipped (${outcome.reason})`;
  return outcome.result;
}

/**
 * The real downloader, but the worker stalls once its download is in (a long GC pause, a frozen VM,
 * a conversion stuck on a slow core) until `release` is called.
 */
function stallingAfterDownload(downloader: ImageDownloader) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let downloaded = false;
  return {
    downloader: {
      async download(url, validators) {
        const result = await downloader.download(url, validators);
        downloaded = true;
        await gate;
        return result;
      },
    } satisfies ImageDownloader,
    downloaded: () => downloaded,
    release,
  };
}

/**
 * One URL in the galleries of two suppliers' products, and two workers whose batches both hold it,
 * started at once (the CDN holds the picture a moment, so the second claim surely meets the first's
 * live lease). One claim wins and downloads; the other is `busy`, and its message, redelivered, finds
 * the source done. One download, one attempt, and both products list the URL.
 */
export async function runSharedUrlScenario(ctx: AppContext, cdn: FixtureCdn): Promise<ScenarioResult> {
  const [shared, northOnly, southOnly] = ['/sources/shared.jpg', '/sources/north-only.jpg', '/sources/south-only.jpg'];
  cdn.set(shared, { body: await picture('SHARED', 10), delayMs: 300 });
  cdn.set(northOnly, { body: await picture('NORTH', 130) });
  cdn.set(southOnly, { body: await picture('SOUTH', 250) });
  const north = await seedProduct(ctx, 'north', 'N-1', [cdn.url(shared), cdn.url(northOnly)]);
  const south = await seedProduct(ctx, 'south', 'S-1', [cdn.url(shared), cdn.url(southOnly)]);
  const [sharedId, northId] = north.imageIds as [number, number];
  const southId = south.imageIds[1]!;

  const workers = [createImageFetcher(ctx.config.fetch), createImageFetcher(ctx.config.fetch)] as const;
  try {
    const [a, b] = await Promise.all([
      processImages(ctx, workers[0], [delivery(sharedId, cdn.url(shared)), delivery(northId, cdn.url(northOnly))]),
      processImages(ctx, workers[1], [delivery(sharedId, cdn.url(shared)), delivery(southId, cdn.url(southOnly))]),
    ]);
    const claims = [outcomeName(a[0]), outcomeName(b[0])].sort();
    // The busy worker reported a retry: its message comes back, to that worker or another.
    const [redelivered] = await processImages(ctx, workers[a[0]?.result === 'retry' ? 0 : 1], [delivery(sharedId, cdn.url(shared), 2)]);

    const sharedUrl = (await imageRow(ctx, sharedId))?.url as string | null;
    let listing = 0;
    for (const product of [north, south]) if (sharedUrl && (await productImageUrls(ctx, product.productId)).includes(sharedUrl)) listing += 1;
    const report = await checkPipelineInvariants(ctx);
    return resultFrom(
      'one URL on two suppliers’ products, two workers at once',
      'claims: busy + done, redelivered: skipped (done); shared: 1 × done after 1 attempt, 1 download, on 2 of 2 products; others: 2 × done after 1 attempt',
      `claims: ${claims.join(' + ')}, redelivered: ${outcomeName(redelivered)}; shared: ${await describeImages(ctx, [sharedId])}, ` +
        `${cdn.hits(shared)} download${cdn.hits(shared) === 1 ? '' : 's'}, on ${listing} of 2 products; others: ${await describeImages(ctx, [northId, southId])}`,
      report,
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
  }
}

/**
 * ABA: a worker claims a source (token 1), downloads, and stalls past its lease. Meanwhile its message
 * comes back and another worker claims the source (token 2) and fails it (the CDN answers 404); an
 * admin re-queues it (pending again, token kept) and a third worker claims it (token 3). Only then
 * does the first worker wake and write: its token is no longer the row's, so the write matches
 * nothing (the row's token is 3). The third worker finishes: done after 1 download since the re-queue
 * (a re-queue gives the image its downloads anew), with its own picture.
 * The stale worker's upload (a WebP no source refers to) is what media-gc is for: collected at the end.
 */
export async function runStaleWriterScenario(ctx: AppContext, cdn: FixtureCdn): Promise<ScenarioResult> {
  const path = '/sources/aba.jpg';
  cdn.set(path, { body: await picture('OLD', 40) });
  const { productId, imageIds } = await seedProduct(ctx, 'aba', 'A-1', [cdn.url(path)]);
  const sourceId = imageIds[0]!;
  const problems: string[] = [];
  const fetchers = [createImageFetcher(ctx.config.fetch), createImageFetcher(ctx.config.fetch)] as const;
  try {
    await enqueuePendingImages(ctx);
    const stale = stallingAfterDownload(fetchers[0]);
    const staleRun = processImages(ctx, stale.downloader, [delivery(sourceId, cdn.url(path))]);
    await waitUntil('the first worker has downloaded and stalls', stale.downloaded);
    await waitUntil('its lease runs out', async () => {
      const { rows } = await ctx.pool.query(`SELECT 1 FROM image_sources WHERE id = $1 AND lease_until < now()`, [sourceId]);
      return rows.length === 1;
    });

    // The message comes back to a worker that takes the source over; the supplier's server now says 404.
    cdn.setFault(path, 'status404');
    await runLocalWorker(ctx, { untilIdle: true });
    const afterSecond = await describeImages(ctx, [sourceId]);
    if (afterSecond !== '1 × failed: http_4xx after 2 attempts') problems.push(`after the second worker: ${afterSecond}`);

    // The supplier fixes the picture, an admin re-queues it, and a third worker claims it.
    cdn.set(path, { body: await picture('NEW', 200) });
    await requeueFailedImages(ctx, { supplier: 'aba' });
    const owner = stallingAfterDownload(fetchers[1]);
    const ownerRun = processImages(ctx, owner.downloader, [delivery(sourceId, cdn.url(path))]);
    await waitUntil('the new owner has downloaded', owner.downloaded);

    stale.release();
    const [staleOutcome] = await staleRun;
    const whileOwned = await imageRow(ctx, sourceId);
    if (whileOwned?.status !== 'processing' || whileOwned.attempts !== 3 || whileOwned.url !== null) {
      problems.push(`after the stale write: ${whileOwned?.status}, token ${whileOwned?.attempts}, url ${whileOwned?.url}`);
    }
    owner.release();
    const [ownerOutcome] = await ownerRun;

    const gc = await collectOrphanMedia(ctx, { graceSeconds: 0 });
    const listed = await productImageUrls(ctx, productId);
    const ownersPicture = ownerOutcome?.result === 'done' && JSON.stringify(listed) === JSON.stringify([ownerOutcome.url]);
    const report = await checkPipelineInvariants(ctx);
    return resultFrom(
      'stale worker writes after fail, re-queue and a new claim (ABA)',
      'stale write: skipped (stale); new owner: done; 1 × done after 1 attempt, the product lists the new owner’s WebP; stale upload collected: 1',
      `stale write: ${outcomeName(staleOutcome)}; new owner: ${outcomeName(ownerOutcome)}; ${await describeImages(ctx, [sourceId])}, ` +
        `the product lists ${ownersPicture ? 'the new owner’s WebP' : `[${listed.join(', ')}]`}; stale upload collected: ${gc.deleted}`,
      report,
      problems,
    );
  } finally {
    await Promise.all(fetchers.map((fetcher) => fetcher.close()));
  }
}

/**
 * An import holds a product (`SELECT … FOR UPDATE` in another session, as a merge batch does) while
 * the real worker finishes that product's image. The worker's done-transaction waits for the lock
 * for DATABASE_LOCK_TIMEOUT_MS (run with `lockTimeoutEnv`, the production second), gives up, and
 * records a transient `database` retry; the import commits, the message comes back and the image
 * ends done on its second attempt.
 */
export async function runImportLockScenario(ctx: AppContext, cdn: FixtureCdn): Promise<ScenarioResult> {
  const path = '/sources/locked.jpg';
  cdn.set(path, { body: await picture('LOCKED', 300) });
  const { productId, imageIds } = await seedProduct(ctx, 'locked', 'L-1', [cdn.url(path)]);
  const sourceId = imageIds[0]!;
  await enqueuePendingImages(ctx);

  const importer = new pg.Client({ connectionString: ctx.config.databaseUrl });
  await importer.connect();
  let whileLocked: string;
  try {
    await importer.query('BEGIN');
    await importer.query(`SELECT id FROM products WHERE id = $1 FOR UPDATE`, [productId]);
    const working = runLocalWorker(ctx, { untilIdle: true });
    try {
      await waitUntil('the worker gives up on the lock', async () => (await imageRow(ctx, sourceId))?.error_kind != null);
      const row = await imageRow(ctx, sourceId);
      whileLocked = `${row.status} (${row.error_kind}${/lock timeout/.test(row.last_error ?? '') ? ', lock timeout' : `: ${row.last_error}`})`;
    } finally {
      await importer.query('COMMIT');
      await working;
    }
  } finally {
    await importer.end();
  }

  const source = await imageRow(ctx, sourceId);
  const listed = JSON.stringify(await productImageUrls(ctx, productId)) === JSON.stringify([source?.url]);
  const report = await checkPipelineInvariants(ctx);
  return resultFrom(
    'a worker meets an import’s lock on the product (lock_timeout 1 s)',
    'while locked: queued (database, lock timeout); then 1 × done after 2 attempts, on the product',
    `while locked: ${whileLocked}; then ${await describeImages(ctx, [sourceId])}${listed ? ', on the product' : ', not on the product'}`,
    report,
  );
}
