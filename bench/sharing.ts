import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { startFixtureCdn } from '../src/local/fixture-cdn.ts';
import { enqueuePendingImages } from '../src/queue/enqueue.ts';
import { buildCsv } from '../test/helpers/spreadsheets.ts';
import { startTestEnvironment } from '../test/helpers/environment.ts';
import { bundleChild } from './bundle.ts';
import { cacheDir } from './corpus.ts';
import { importSheet, ingestScript } from './ingest.ts';
import { workerLambdaEnv } from './lambda-env.ts';
import { round, runInChild } from './measure.ts';
import type { WorkerRun } from './worker-process.ts';

export interface SharingResult {
  products: number;
  references: number;
  distinctUrls: number;
  referencesPerUrl: number;
  sourcesDone: number;
  /** Requests the fixture CDN received for the catalog's URLs. */
  downloads: number;
  /** Goal 1.00: each distinct URL fetched once however many products show it. */
  downloadsPerDistinctUrl: number;
  /** Products whose image_urls holds one WebP URL per linked source, in position order. */
  productsComplete: number;
  db: { roundTripsPerImage: number; msPerImage: number; messagesPerBatch: number };
}

/**
 * A catalog shaped like Magento 2's sample data (3,415 image references to 716 distinct URLs): families
 * of a configurable product and its variants, five products a family, each showing five of the
 * family's five or six pictures. 683 products × 5 = 3,415 references, 716 distinct URLs.
 */
function magentoLikeRows(imageUrl: (family: number, picture: number) => string) {
  const products = 683;
  const families = Math.ceil(products / 5);
  const picturesOf = (family: number) => (family < 716 - families * 5 ? 6 : 5);
  const rows = [['SKU', 'Product Name', ...Array.from({ length: 5 }, (_, i) => `Image ${i + 1}`)]];
  for (let p = 0; p < products; p++) {
    const family = Math.floor(p / 5);
    const pictures = picturesOf(family);
    const member = p % 5;
    rows.push([`MB-${family}-${member}`, `Family ${family} variant ${member}`, ...Array.from({ length: 5 }, (_, k) => imageUrl(family, (member + k) % pictures))]);
  }
  return rows;
}

/**
 * Downloads per distinct URL on a catalog whose products share pictures: the file goes through the
 * normal import, every source is enqueued and a worker process (as in the end-to-end part) drains the
 * queue; the fixture CDN counts the requests it answers. Small rendered JPEGs, so the figure is the
 * pipeline's and not the converter's.
 */
export async function benchSharing(): Promise<SharingResult> {
  const cdn = await startFixtureCdn();
  const env = await startTestEnvironment({ FETCH_ALLOW_HOSTS: '127.0.0.1', LOCAL_VISIBILITY_TIMEOUT: '600' });
  const { ctx } = env;
  try {
    const paths = new Set<string>();
    const rows = magentoLikeRows((family, picture) => {
      const path = `/media/catalog/product/${family}/${picture}.jpg`;
      paths.add(path);
      return cdn.url(path);
    });
    for (const path of paths) {
      const [family, picture] = path.split('/').slice(-2).map((part) => Number.parseInt(part, 10));
      const body = await sharp({ create: { width: 400, height: 400, channels: 3, background: { r: (family! * 7) % 256, g: (picture! * 40) % 256, b: 128 } } })
        .jpeg({ quality: 85 })
        .toBuffer();
      cdn.set(path, { body, contentType: 'image/jpeg' });
    }
    const file = join(cacheDir, 'sheets', 'magento-like.csv');
    writeFileSync(file, buildCsv(rows));
    const imported = await importSheet(ctx, await ingestScript(), 'bench-magento-like', file, 'csv');
    if (imported.summary.status !== 'done') throw new Error(`sharing: import ${imported.summary.status}: ${imported.summary.error}`);
    await enqueuePendingImages(ctx);
    const script = await bundleChild(join(import.meta.dirname, 'worker-process.ts'));
    const run = await runInChild<{ config: typeof ctx.config }, WorkerRun>(script, { config: ctx.config }, workerLambdaEnv);
    const { rows: counts } = await ctx.pool.query<{ done: number; complete: number }>(`
      SELECT (SELECT count(*)::int FROM image_sources WHERE status = 'done') AS done,
             (SELECT count(*)::int FROM products p
               WHERE p.image_urls = ARRAY(SELECT s.url FROM product_images pi JOIN image_sources s ON s.id = pi.source_id
                                           WHERE pi.product_id = p.id ORDER BY pi.position)) AS complete`);
    const downloads = [...paths].reduce((sum, path) => sum + cdn.hits(path), 0);
    const references = (rows.length - 1) * 5;
    const done = counts[0]!.done;
    return {
      products: rows.length - 1,
      references,
      distinctUrls: paths.size,
      referencesPerUrl: round(references / paths.size),
      sourcesDone: done,
      downloads,
      downloadsPerDistinctUrl: round(downloads / paths.size),
      productsComplete: counts[0]!.complete,
      db: {
        roundTripsPerImage: round(run.value.db.calls / done),
        msPerImage: round(run.value.db.ms / done),
        messagesPerBatch: round(run.value.stats.messages / run.value.stats.invocations, 1),
      },
    };
  } finally {
    await env.stop();
    await cdn.close();
  }
}
