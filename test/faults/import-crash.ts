import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { registerUpload } from '../../src/catalog/register-upload.ts';
import type { AppContext } from '../../src/context.ts';
import type { FixtureCdn } from '../../src/local/fixture-cdn.ts';
import { runLocalWorker } from '../../src/local/local-worker.ts';
import { renderSampleImage } from '../../src/local/sample-images.ts';
import { RunTrigger, runTick } from '../../src/scheduled/run-tick.ts';
import { withImportDyingAtSku } from '../helpers/catalog.ts';
import { checkPipelineInvariants } from '../helpers/invariants.ts';
import { buildCsv } from '../helpers/spreadsheets.ts';
import { describeImages, resultFrom, type ScenarioResult } from './outcome.ts';

const SUPPLIER = 'import-crash';
/** Three merge batches of 500; the importing session dies inside the third. */
const PRODUCTS = 1200;
const DIES_AT = 'SKU-1100';

/**
 * Every product gets one of four shared pictures; the third batch's products also link a fifth URL
 * that only they use, so the resumed merge creates a source of its own.
 */
function catalog(cdn: FixtureCdn): string[][] {
  const rows = Array.from({ length: PRODUCTS }, (_, i) => {
    const n = i + 1;
    return [`SKU-${n}`, `Product ${n}`, cdn.url(`/import-crash/${n % 4}.jpg`), n > 1000 ? cdn.url('/import-crash/late.jpg') : ''];
  });
  return [['SKU', 'Name', 'Image 1', 'Image 2'], ...rows];
}

async function importState(ctx: AppContext, importId: number) {
  const { rows } = await ctx.pool.query<{ status: string; merged_through: number; staged: number; products: number; skus: number }>(
    `SELECT i.status, i.merged_through,
            (SELECT count(*)::int FROM import_staged_products WHERE import_id = i.id) AS staged,
            (SELECT count(*)::int FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = $2) AS products,
            (SELECT count(DISTINCT p.sku)::int FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = $2) AS skus
       FROM imports i WHERE i.id = $1`,
    [importId, SUPPLIER],
  );
  return rows[0]!;
}

/**
 * The importing database session dies in the middle of a merge (a trigger terminates its own backend
 * when the merge writes one SKU of the third batch; dropped right after): that batch rolls back with
 * its connection, the two before it stay, and the import is left `merging`. The tick still enqueues
 * the merged products' images, and the worker finishes them. The upload's object is then deleted, so
 * the next tick can only resume from the staged rows: it merges the rest (products linking sources
 * already done get their URLs in the import's own commit), every product lands once, and the images
 * it added finish.
 */
export async function runImportCrashScenario(ctx: AppContext, cdn: FixtureCdn): Promise<ScenarioResult> {
  for (const n of [0, 1, 2, 3]) {
    cdn.set(`/import-crash/${n}.jpg`, { body: await renderSampleImage({ label: `IC${n}`, width: 160, height: 120, format: 'jpeg', hue: 15 + n * 80 }) });
  }
  cdn.set('/import-crash/late.jpg', { body: await renderSampleImage({ label: 'LATE', width: 160, height: 120, format: 'jpeg', hue: 333 }) });
  const { importId, sourceKey } = await registerUpload(ctx, { supplierCode: SUPPLIER, fileName: 'catalog.csv', body: Buffer.from(buildCsv(catalog(cdn))) });

  await withImportDyingAtSku(ctx, DIES_AT, () => runTick(ctx, RunTrigger.schedule));
  const crashed = await importState(ctx, importId);
  await runLocalWorker(ctx, { untilIdle: true });

  await ctx.s3.send(new DeleteObjectCommand({ Bucket: ctx.config.buckets.uploads, Key: sourceKey }));
  const tick = await runTick(ctx, RunTrigger.schedule);
  const resumed = tick.imports.find((summary) => summary.importId === importId);
  await runLocalWorker(ctx, { untilIdle: true });
  const done = await importState(ctx, importId);

  const { rows: sources } = await ctx.pool.query<{ id: string }>(`SELECT id FROM image_sources WHERE source_url LIKE $1 ORDER BY id`, [
    `${cdn.url('/import-crash/')}%`,
  ]);
  const report = await checkPipelineInvariants(ctx);
  return resultFrom(
    'the import’s database session dies mid-merge, then the object is deleted',
    `after the crash: merging, 1000 of ${PRODUCTS} merged, 1000 products; resumed: done, ${PRODUCTS} products once, 0 staged, 1 image enqueued; images: 5 × done after 1 attempt`,
    `after the crash: ${crashed.status}, ${crashed.merged_through} of ${PRODUCTS} merged, ${crashed.products} products; ` +
      `resumed: ${resumed?.status ?? 'not imported'}${done.products === PRODUCTS && done.skus === PRODUCTS ? `, ${PRODUCTS} products once` : `, ${done.products} products (${done.skus} SKUs)`}, ` +
      `${done.staged} staged, ${tick.enqueued} image${tick.enqueued === 1 ? '' : 's'} enqueued; images: ${await describeImages(ctx, sources.map((s) => Number(s.id)))}`,
    report,
  );
}
