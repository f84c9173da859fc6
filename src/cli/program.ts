import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { listFailures } from '../admin/list-failures.ts';
import { listProducts } from '../admin/list-products.ts';
import { registerAdminCommands } from './admin-commands.ts';
import { registerSupplierCommands } from './supplier-commands.ts';
import { emit, table } from './output.ts';
import { withSession } from './session.ts';
import { ImportStatus } from '../db/schema.ts';

// Commands import what they run when they run (`await import`): the image pipeline, spreadsheet
// readers and the AWS SDK cost most of a second to load, and `products` needs none of them.

// A .env in the working directory fills in what the environment leaves unset (variables already set win).
if (existsSync('.env')) process.loadEnvFile('.env');

const program = new Command('catalog-importer')
  .description('Supplier spreadsheets to products; supplier images to WebP in S3.');

const json = new Option('--json', 'print one JSON document on stdout');
const age = (seconds: number | null) => (seconds === null ? '' : `, oldest ${seconds} s`);

program
  .command('demo')
  .description('the whole story on the embedded stack: sample supplier file, tick, worker, summary')
  .addOption(json)
  .action(async (options: { json?: boolean }) => {
    const { runDemo } = await import('../demo/run-demo.ts');
    await runDemo({ json: Boolean(options.json) });
  });

program
  .command('migrate')
  .description('apply database migrations (the embedded stack applies them at every start)')
  .action(async () => {
    await withSession(async ({ stack }) => {
      emit(false, null, () => `migrations applied${stack.embedded.postgres ? ' (embedded Postgres)' : ''}`);
    }, { aws: false });
  });

program
  .command('upload <file>')
  .description('store a supplier spreadsheet in the uploads bucket and register the import')
  .requiredOption('--supplier <code>', 'supplier code (lowercase letters, digits, - and _)')
  .option('--now', 'import it and enqueue its images now instead of on the next tick')
  .option('--dry-run', 'show the format, mapping, what would change, warnings and row errors; store and write nothing')
  .addOption(json)
  .action(async (file: string, options: { supplier: string; now?: boolean; dryRun?: boolean; json?: boolean }) => {
    if (options.dryRun) return (await import('./dry-run.ts')).dryRunUpload(file, options);
    const { fileUpload } = await import('../catalog/upload-content.ts');
    const body = await fileUpload(file);
    await withSession(async ({ ctx }) => {
      const { uploadSpreadsheet } = await import('../admin/upload-spreadsheet.ts');
      const { importProgressBar } = await import('./import-progress-bar.ts');
      const bar = importProgressBar({ json: Boolean(options.json) });
      const upload = await uploadSpreadsheet(
        ctx,
        { supplierCode: options.supplier, fileName: basename(file), body },
        { now: options.now, onProgress: bar.onProgress },
      ).finally(() => bar.stop());
      emit(Boolean(options.json), upload, () =>
        [
          `registered import #${upload.importId} (${upload.sourceKey})`,
          upload.duplicateOf ? `same file as import #${upload.duplicateOf}: re-importing changes nothing` : '',
          upload.reimportOf ? `same file as import #${upload.reimportOf}, but the supplier's settings changed since: importing again` : '',
          ...upload.imports.map(
            (i) =>
              `import #${i.importId}: ${i.status}, ${i.rowsImported}/${i.rowsTotal} rows, ${i.rowsFailed} rejected, ${i.imagesPending} images pending${i.error ? ` (${i.error})` : ''}`,
          ),
          upload.enqueued ? `${upload.enqueued.enqueued} images enqueued` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
      // `upload --now && next-step` must stop when the file failed or not one row made a product.
      const own = upload.imports.find((i) => i.importId === upload.importId);
      if (own?.status === ImportStatus.failed || own?.status === ImportStatus.rejected) {
        throw new Error(`import #${own.importId} ${own.status}: ${own.error ?? 'no reason recorded'}`);
      }
    }, { longRunning: true });
  });

program
  .command('run')
  .description('one scheduled tick: fetch due supplier feeds, import new spreadsheets, enqueue pending images')
  .addOption(json)
  .action(async (options: { json?: boolean }) => {
    await withSession(async ({ ctx }) => {
      const { runTick, RunTrigger } = await import('../scheduled/run-tick.ts');
      const summary = await runTick(ctx, RunTrigger.cli);
      emit(Boolean(options.json), summary, () =>
        `run #${summary.runId}: ${summary.imports.length} imports, ${summary.enqueued} images enqueued (${summary.resent} re-sent after lease), ${summary.sendFailed} not sent`,
      );
    }, { longRunning: true });
  });

program
  .command('work')
  .description('consume the images queue with the worker handler, like the Lambda event source; shows progress on stderr')
  .option('--until-idle', 'stop when the queue is empty and nothing is in flight')
  .addOption(json)
  .action(async (options: { untilIdle?: boolean; json?: boolean }) => {
    await withSession(async ({ ctx }) => {
      const { runLocalWorker } = await import('../local/local-worker.ts');
      const { workProgress } = await import('./work-progress.ts');
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      const progress = workProgress({ write: (text) => process.stderr.write(text), tty: Boolean(process.stderr.isTTY) });
      const stats = await runLocalWorker(ctx, { untilIdle: Boolean(options.untilIdle), signal: stop.signal, onOutcome: progress.observe }).finally(() =>
        progress.stop(),
      );
      const summary = { ...stats, images: progress.counts };
      emit(Boolean(options.json), summary, () => `${stats.messages} messages in ${stats.invocations} batches, ${stats.failures} to retry`);
    }, { longRunning: true });
  });

program
  .command('status')
  .description('images by status, failures by kind, queue and DLQ depth, supplier hosts (paused, throttled, req/s), supplier feeds, last runs')
  .option('--supplier <code>')
  .addOption(json)
  .action(async (options: { supplier?: string; json?: boolean }) => {
    await withSession(async ({ ctx }) => {
      const { getStatus } = await import('../admin/status.ts');
      const { hostLines } = await import('./host-lines.ts');
      const { feedLines } = await import('./feed-lines.ts');
      const status = await getStatus(ctx, options);
      emit(Boolean(options.json), status, () =>
        [
          `products: ${status.products}`,
          `images: ${Object.entries(status.images).map(([k, v]) => `${k} ${v}`).join(', ')}`,
          `failures: ${status.failuresByKind.map((f) => `${f.kind} ${f.count}`).join(', ') || 'none'}`,
          `queue: ${status.queue.visible} visible, ${status.queue.inFlight} in flight${age(status.queue.oldestAgeSeconds)}; DLQ: ${status.dlq ? `${status.dlq.visible}${age(status.dlq.oldestAgeSeconds)}` : 'n/a'}`,
          hostLines(status.hosts),
          ...feedLines(status.feeds),
          'last runs:',
          table(status.lastRuns.map((r) => ({ id: r.id, trigger: r.trigger, started: r.startedAt.toISOString(), enqueued: r.enqueued, error: r.error ?? '' }))),
        ].join('\n'),
      );
    });
  });

program
  .command('products')
  .description('products with their WebP URLs, and which a full-catalog import discontinued')
  .option('--supplier <code>')
  .option('--limit <n>', 'at most this many', (v) => Number.parseInt(v, 10), 1000)
  .option('--after <cursor>', "continue after a truncated listing (its `next`)")
  .option('--discontinued', 'only the products a full-catalog import discontinued')
  .option('--no-discontinued', 'only current products')
  .addOption(json)
  .action(async (options: { supplier?: string; limit: number; after?: string; discontinued?: boolean; json?: boolean }) => {
    await withSession(async ({ ctx }) => {
      const page = await listProducts(ctx, options);
      emit(Boolean(options.json), page, () =>
        [
          table(
            page.products.map((p) => ({
              supplier: p.supplier,
              sku: p.sku,
              title: p.title,
              done: `${p.images.done}/${p.images.total}`,
              first: p.imageUrls[0] ?? '',
              discontinued: p.discontinuedByImportId === null ? '' : `by import #${p.discontinuedByImportId}`,
            })),
          ),
          ...(page.truncated ? [`showing the first ${page.products.length}; more with --after ${page.next}`] : []),
        ].join('\n'),
      );
    }, { aws: false });
  });

program
  .command('failures')
  .description('failed images with their kind and reason')
  .option('--supplier <code>')
  .option('--kind <kind>')
  .addOption(json)
  .action(async (options: { supplier?: string; kind?: string; json?: boolean }) => {
    await withSession(async ({ ctx }) => {
      const failures = await listFailures(ctx, options);
      emit(Boolean(options.json), failures, () =>
        table(failures.map((f) => ({ id: f.imageId, supplier: f.supplier, sku: f.sku, pos: f.position, kind: f.kind, error: f.error }))),
      );
    }, { aws: false });
  });

registerAdminCommands(program, json);
registerSupplierCommands(program, json);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`catalog-importer: ${message.split('\n')[0]}\n`);
  process.exitCode = 1;
}
