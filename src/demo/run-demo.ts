import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { listFailures } from '../admin/list-failures.ts';
import { listProducts } from '../admin/list-products.ts';
import { listRowErrors } from '../admin/row-errors.ts';
import { getStatus } from '../admin/status.ts';
import { registerUpload } from '../catalog/index.ts';
import { table } from '../cli/output.ts';
import { withSession } from '../cli/session.ts';
import { allowingFixtureCdn, type FixtureCdn, startFixtureCdnPreferring } from '../local/fixture-cdn.ts';
import { runLocalWorker } from '../local/local-worker.ts';
import { runTick, RunTrigger } from '../scheduled/run-tick.ts';
import { buildSampleCatalog } from './sample-catalog.ts';

const say = (line = '') => process.stderr.write(`${line}\n`);

/**
 * The supplier's file, kept under DATA_DIR after the first run: xlsx zips carry timestamps, so a
 * rebuilt file would differ byte for byte, and the point of a second run is the very same upload.
 * Keyed by the CDN's address, which its image URLs contain.
 */
async function sampleWorkbook(dataDir: string, cdn: FixtureCdn): Promise<Buffer> {
  const catalog = await buildSampleCatalog(cdn); // also (re)registers the images on the CDN
  const file = join(dataDir, 'demo', `acme-catalog-${new URL(cdn.baseUrl).port}.xlsx`);
  const kept = await readFile(file).catch(() => undefined);
  if (kept) return kept;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, catalog.workbook);
  return catalog.workbook;
}

/**
 * `npm start`: a supplier uploads a catalog, the scheduled tick imports it and enqueues its images,
 * the worker converts them to WebP in the media bucket, and we print what happened. Runs on the
 * embedded stack (or whatever the environment names). Safe to repeat: the second run finds the
 * same file and the same URLs and does no image work.
 */
export async function runDemo(options: { json: boolean }): Promise<void> {
  const started = performance.now();
  await withSession(async ({ ctx, stack }) => {
    const cdn = await startFixtureCdnPreferring(ctx.config.local.demoCdnPort);
    try {
      say(`stack: Postgres ${stack.embedded.postgres ? 'embedded (PGlite)' : 'from DATABASE_URL'}, SQS/S3 ${stack.embedded.aws ? `embedded (fauxqs at ${ctx.config.aws.endpoint})` : 'from the environment'}`);
      say(`fixture CDN: ${cdn.baseUrl}`);
      const workbook = await sampleWorkbook(ctx.config.local.dataDir, cdn);
      const upload = await registerUpload(ctx, { supplierCode: 'acme', fileName: 'acme-catalog.xlsx', body: workbook });
      say(`1. uploaded acme-catalog.xlsx → import #${upload.importId}${upload.duplicateOf ? ` (same file as #${upload.duplicateOf})` : ''}`);
      const tick = await runTick(ctx, RunTrigger.cli);
      const imported = tick.imports.find((i) => i.importId === upload.importId);
      say(`2. tick #${tick.runId}: ${imported?.rowsImported ?? 0} rows imported, ${imported?.rowsFailed ?? 0} rejected; ${tick.enqueued} images enqueued`);
      const workStarted = performance.now();
      const work = await runLocalWorker({ ...ctx, config: allowingFixtureCdn(ctx.config, cdn) }, { untilIdle: true });
      const workSeconds = (performance.now() - workStarted) / 1000;
      say(`3. worker: ${work.messages} messages in ${work.invocations} batches (${work.failures} retried)`);

      const [status, products, failures, rowErrors] = await Promise.all([
        getStatus(ctx, { supplier: 'acme' }),
        listProducts(ctx, { supplier: 'acme' }).then((page) => page.products),
        listFailures(ctx, { supplier: 'acme' }),
        listRowErrors(ctx, upload.importId),
      ]);
      const converted = work.messages - work.failures;
      const summary = {
        importId: upload.importId,
        products: status.products,
        images: status.images,
        failuresByKind: status.failuresByKind,
        rowErrors,
        processedThisRun: work.messages,
        elapsedSeconds: Number(((performance.now() - started) / 1000).toFixed(2)),
        imagesPerSecond: workSeconds > 0 ? Number((converted / workSeconds).toFixed(1)) : 0,
        sample: products.filter((p) => p.imageUrls.length > 0).slice(0, 3),
      };
      if (options.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      say();
      say(`products: ${summary.products}`);
      say(`images: ${Object.entries(status.images).map(([k, v]) => `${v} ${k}`).join(', ')}`);
      say(`failed by kind: ${status.failuresByKind.map((f) => `${f.kind} ${f.count}`).join(', ') || 'none'}`);
      say(`this run: ${work.messages} images processed in ${workSeconds.toFixed(1)} s (${summary.imagesPerSecond} images/s); whole demo ${summary.elapsedSeconds} s`);
      say();
      say('rows the import rejected or warned about:');
      say(table(rowErrors.map((e) => ({ row: e.rowNumber, column: e.column ?? '', severity: e.severity, message: e.message }))));
      say();
      say('failed images:');
      say(table(failures.map((f) => ({ sku: f.sku, pos: f.position, kind: f.kind, error: f.error }))));
      say();
      say('a few products and their WebP URLs:');
      for (const product of summary.sample) {
        say(`  ${product.sku}  ${product.title}`);
        for (const url of product.imageUrls) say(`    ${url}`);
      }
      say();
      say('Run it again: the same file changes nothing and no image is downloaded twice. Try `npm run cli -- status`.');
    } finally {
      await cdn.close();
    }
  });
}
