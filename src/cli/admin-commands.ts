import type { Command, Option } from 'commander';
import { listImports } from '../admin/import-progress.ts';
import { describeImportOutcome, getImportReport } from '../admin/row-errors.ts';
import { rowErrorsToCsv } from '../admin/row-errors-csv.ts';
import type { ScheduleControl, ScheduleStatus, TriggerResult } from '../admin/schedule/schedule-control.ts';
import { emit, table } from './output.ts';
import { idList, isoTime, positiveInt } from './parse-options.ts';
import { withSession } from './session.ts';

// Commands that use SQS/S3 import what they run when they run: `imports` or `report` then load
// neither the AWS SDK nor the image pipeline (see withSession's `aws`).

const describeSchedule = (s: ScheduleStatus) =>
  `${s.name} (${s.backend === 'aws' ? 'EventBridge Scheduler' : 'local timer'}): ${s.enabled ? 'enabled' : 'paused'}, ${s.expression}` +
  (s.nextRunAt ? `, next run ${s.nextRunAt.toISOString()}` : '');

const describeTrigger = (t: TriggerResult) =>
  t.mode === 'ran'
    ? `run #${t.summary.runId}: ${t.summary.imports.length} imports, ${t.summary.enqueued} images enqueued`
    : `one-off schedule ${t.scheduleName} runs the tick at ${t.at.toISOString()}`;

/** Runs `act` against the schedule of this session and prints what it returns. */
function scheduleAction<T>(act: (schedule: ScheduleControl) => Promise<T>, describe: (value: T) => string) {
  return async (options: { json?: boolean }) => {
    await withSession(async (session) => {
      const { tickSchedule } = await import('./tick-schedule.ts');
      const schedule = tickSchedule(session);
      try {
        const value = await act(schedule);
        emit(Boolean(options.json), value, () => describe(value));
      } finally {
        schedule.close();
      }
    });
  };
}

/** The admin commands: imports, report, requeue, media-gc, dlq, schedule, upload-url, dev. */
export function registerAdminCommands(program: Command, json: Option): void {
  program
    .command('imports')
    .description('imports with rows read, products (and those a full catalog discontinued), row errors and images by status')
    .option('--supplier <code>')
    .option('--limit <n>', 'at most this many, newest first', positiveInt, 50)
    .addOption(json)
    .action(async (options: { supplier?: string; limit: number; json?: boolean }) => {
      await withSession(async ({ ctx }) => {
        const imports = await listImports(ctx, options);
        emit(Boolean(options.json), imports, () =>
          table(
            imports.map((i) => ({
              id: i.importId,
              supplier: i.supplier,
              file: i.fileName,
              status: i.status,
              rows: `${i.rowsImported}/${i.rowsTotal}`,
              rejected: i.rowsFailed,
              products: i.productsUpserted,
              discontinued: i.productsDiscontinued || '',
              images: `${i.images.done}/${i.images.total} done`,
              failed: i.images.failed,
              waiting: i.images.pending + i.images.queued + i.images.processing,
            })),
          ),
        );
      }, { aws: false });
    });

  program
    .command('report <import>')
    .description('how an import ended and why (stderr), then the rows it rejected or warned about as CSV on stdout (row, column, severity, message)')
    .addOption(json)
    .action(async (importId: string, options: { json?: boolean }) => {
      const id = positiveInt(importId);
      await withSession(async ({ ctx }) => {
        const report = await getImportReport(ctx, id);
        // Human: the outcome on stderr first, so `report 12 > errors.csv` still writes a clean CSV.
        emit(Boolean(options.json), report, () => describeImportOutcome(report.import));
        if (!options.json) process.stdout.write(rowErrorsToCsv(report.rowErrors));
      }, { aws: false });
    });

  program
    .command('requeue')
    .description('failed images back to pending, for the next tick or --now; --revalidate re-checks done ones')
    .option('--supplier <code>')
    .option('--import <id>', 'images of this import', positiveInt)
    .option('--kind <kind>', 'error kind, as `failures` shows it')
    .option('--ids <ids>', 'image (source) ids, comma-separated', idList)
    .option('--since <time>', 'failed at or after this ISO time', isoTime)
    .option('--all', 'every failed image (needed when no other filter is given)')
    .option('--revalidate', 'done images instead: re-check them with a conditional GET (products keep their pictures)')
    .option('--dry-run', 'only count what would move')
    .option('--now', 'send them to the queue at once instead of on the next tick')
    .addOption(json)
    .action(
      async (options: {
        supplier?: string;
        import?: number;
        kind?: string;
        ids?: number[];
        since?: Date;
        all?: boolean;
        revalidate?: boolean;
        dryRun?: boolean;
        now?: boolean;
        json?: boolean;
      }) => {
        await withSession(async ({ ctx }) => {
          const { requeueFailedImages } = await import('../admin/requeue-failed.ts');
          const result = await requeueFailedImages(
            ctx,
            {
              supplier: options.supplier,
              importId: options.import,
              kind: options.kind,
              imageIds: options.ids,
              since: options.since,
              all: options.all,
              revalidate: options.revalidate,
            },
            { dryRun: options.dryRun, now: options.now },
          );
          emit(Boolean(options.json), result, () =>
            result.dryRun
              ? `${result.matched} ${options.revalidate ? 'done' : 'failed'} images would be re-queued`
              : `${result.requeued} ${options.revalidate ? 'done' : 'failed'} images re-queued${result.enqueued ? `, ${result.enqueued.enqueued} sent now` : ', sent on the next tick'}`,
          );
        });
      },
    );

  program
    .command('media-gc')
    .description('delete image sources no product links, then WebP objects no image refers to any more (older than twice the processing lease)')
    .option('--dry-run', 'count them, delete nothing')
    .addOption(json)
    .action(async (options: { dryRun?: boolean; json?: boolean }) => {
      await withSession(async ({ ctx }) => {
        const { collectOrphanMedia } = await import('../admin/collect-orphan-media.ts');
        const result = await collectOrphanMedia(ctx, { dryRun: Boolean(options.dryRun) });
        emit(Boolean(options.json), result, () =>
          [
            `${result.unlinkedSources} image sources no product links and ${result.orphans} of ${result.scanned} objects ${result.dryRun ? 'would be deleted' : 'deleted'}`,
            ...result.examples.map((key) => `  ${key}`),
          ].join('\n'),
        );
      });
    });

  const dlq = program.command('dlq').description('the images dead-letter queue');
  dlq
    .command('peek')
    .description('what is in the DLQ and why: image id, URL and the image’s last error (moves nothing)')
    .option('--limit <n>', 'at most this many messages', positiveInt, 20)
    .addOption(json)
    .action(async (options: { limit: number; json?: boolean }) => {
      await withSession(async ({ ctx }) => {
        const { peekDlq } = await import('../admin/dlq/peek-dlq.ts');
        const peek = await peekDlq(ctx, options);
        emit(Boolean(options.json), peek, () =>
          [
            `${peek.depth} messages in the DLQ`,
            table(
              peek.messages.map((m) => ({
                image: m.imageId ?? '',
                sent: m.sentAt?.toISOString() ?? '',
                status: m.image?.status ?? '',
                why: m.invalidBody ?? m.image?.lastError ?? '',
                url: m.sourceUrl ?? '',
              })),
            ),
          ].join('\n'),
        );
      });
    });
  dlq
    .command('redrive')
    .description('move the DLQ messages back to the images queue')
    .addOption(json)
    .action(async (options: { json?: boolean }) => {
      await withSession(async ({ ctx }) => {
        const { redriveDlq } = await import('../admin/dlq/redrive-dlq.ts');
        const result = await redriveDlq(ctx);
        emit(Boolean(options.json), result, () =>
          result.method === 'copy'
            ? `${result.moved} messages moved back to the images queue${result.notMoved ? `, ${result.notMoved} left in the DLQ` : ''}`
            : `move task ${result.taskHandle} started for ${result.depth} messages`,
        );
      });
    });
  dlq
    .command('purge')
    .description('delete every DLQ message (needs --yes)')
    .option('--yes', 'yes, delete them for good')
    .addOption(json)
    .action(async (options: { yes?: boolean; json?: boolean }) => {
      await withSession(async ({ ctx }) => {
        const { purgeDlq } = await import('../admin/dlq/purge-dlq.ts');
        const result = await purgeDlq(ctx, { confirm: Boolean(options.yes) });
        emit(Boolean(options.json), result, () => `${result.purged} messages purged`);
      });
    });

  const schedule = program
    .command('schedule')
    .description('the tick schedule: EventBridge Scheduler on AWS, a local timer on the embedded stack');
  schedule.command('status').description('enabled, expression, next run').addOption(json).action(scheduleAction((s) => s.status(), describeSchedule));
  schedule.command('pause').description('stop the scheduled ticks').addOption(json).action(scheduleAction((s) => s.pause(), describeSchedule));
  schedule.command('resume').description('start the scheduled ticks again').addOption(json).action(scheduleAction((s) => s.resume(), describeSchedule));
  schedule
    .command('rate <expression>')
    .description('change the schedule: "rate(30 minutes)", "rate(2 hours)", "cron(0 6 * * ? *)" (AWS only)')
    .addOption(json)
    .action((expression: string, options: { json?: boolean }) => scheduleAction((s) => s.setRate(expression), describeSchedule)(options));
  schedule
    .command('trigger')
    .description('run the tick now (locally here; on AWS through a one-off schedule within a minute)')
    .addOption(json)
    .action(scheduleAction((s) => s.trigger(), describeTrigger));

  program
    .command('upload-url <file-name>')
    .description('a presigned PUT URL for a large spreadsheet; the next tick imports it')
    .requiredOption('--supplier <code>', 'supplier code')
    .option('--bytes <n>', 'file size, checked against MAX_UPLOAD_BYTES', positiveInt)
    .addOption(json)
    .action(async (fileName: string, options: { supplier: string; bytes?: number; json?: boolean }) => {
      await withSession(async ({ ctx }) => {
        const { presignUpload } = await import('../admin/presign-upload.ts');
        const presigned = await presignUpload(ctx, { supplierCode: options.supplier, fileName, bytes: options.bytes });
        emit(Boolean(options.json), presigned, () => `curl -X PUT --upload-file ${fileName} '${presigned.url}'\n(valid until ${presigned.expiresAt.toISOString()})`);
      });
    });

  program
    .command('dev')
    .description('long-lived local stack: admin page and API on DEV_PORT, schedule timer, worker')
    .action(async () => {
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      await withSession(async (session) => {
        const { tickSchedule } = await import('./tick-schedule.ts');
        const { runDevServer } = await import('../local/dev-server.ts');
        const control = tickSchedule(session);
        try {
          await runDevServer({
            ctx: session.ctx,
            schedule: control,
            embeddedAws: session.stack.embedded.aws,
            signal: stop.signal,
            say: (line) => process.stderr.write(`${line}\n`),
          });
        } finally {
          control.close();
        }
      }, { longRunning: true });
    });
}
