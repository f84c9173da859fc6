import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ensureSupplier, insertImport } from '../src/catalog/import-records.ts';
import type { AppContext } from '../src/context.ts';
import { startTestEnvironment } from '../test/helpers/environment.ts';
import { bundleChild } from './bundle.ts';
import type { StatementStats } from './count-queries.ts';
import type { IngestInput, IngestRun } from './ingest-process.ts';
import { round, runInChild } from './measure.ts';
import { type SheetFormat, supplierSheet } from './spreadsheets.ts';

export interface IngestCase {
  format: SheetFormat;
  products: number;
  fileMb: number;
  status: string;
  error?: string;
  rows: number;
  imagesPending: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  /** Database time the import waited for, and its heaviest statements (absent for a commit whose bench did not count). */
  db?: { calls: number; seconds: number; top: Array<{ statement: string } & StatementStats> };
}

export interface IngestResult {
  cases: IngestCase[];
  /** Time of the largest file over time of the one 10× smaller, per format (target ≤ 11). */
  scaling: Partial<Record<SheetFormat, number>>;
}

/** The bundled import process (see ingest-process.ts). */
export const ingestScript = () => bundleChild(join(import.meta.dirname, 'ingest-process.ts'));

/**
 * Registers the file as an import of supplier `code` and imports it with importSpreadsheet in its own
 * process (bundled like the Lambda). Registering skips the S3 PUT of registerUpload, which the emulator
 * refuses over 11 MiB.
 */
export async function importSheet(ctx: AppContext, script: string, code: string, path: string, format: SheetFormat) {
  const body = readFileSync(path);
  const importId = await insertImport(ctx.db, {
    supplierId: await ensureSupplier(ctx.db, code),
    sourceKey: `${ctx.config.uploadsPrefix}${code}/${Date.now()}-${basename(path)}`,
    fileName: basename(path),
    fileHash: createHash('sha256').update(body).digest('hex'),
    fileBytes: body.length,
  });
  const run = await runInChild<IngestInput, IngestRun>(script, { config: ctx.config, importId: importId!, path, format });
  return { ...run.value, importId: importId!, fileBytes: body.length, peakRssMb: run.peakRssMb };
}

export function topStatements(byStatement: Record<string, StatementStats>, count: number) {
  return Object.entries(byStatement)
    .sort(([, a], [, b]) => b.ms - a.ms)
    .slice(0, count)
    .map(([statement, s]) => ({ statement, calls: s.calls, ms: round(s.ms, 0) }));
}

/**
 * Each generated spreadsheet imported by importSpreadsheet in its own process: rows/s and that
 * process's peak RSS. Each case has its own supplier, so every import inserts rather than updates.
 */
export async function benchIngest(sizes: readonly number[], formats: readonly SheetFormat[] = ['csv', 'xlsx']): Promise<IngestResult> {
  const env = await startTestEnvironment({});
  const { ctx } = env;
  const script = await ingestScript();
  const cases: IngestCase[] = [];
  try {
    for (const products of sizes) {
      for (const format of formats) {
        const path = await supplierSheet(products, format);
        const run = await importSheet(ctx, script, `bench-${format}-${products}`, path, format);
        const { summary } = run;
        const seconds = run.wallMs / 1000;
        cases.push({
          format,
          products,
          fileMb: round(run.fileBytes / 1024 / 1024, 1),
          status: summary.status,
          ...(summary.error ? { error: summary.error } : {}),
          rows: summary.rowsImported,
          imagesPending: summary.imagesPending,
          seconds: round(seconds),
          rowsPerSecond: round(summary.rowsImported / seconds, 0),
          peakRssMb: round(run.peakRssMb, 0),
          ...(run.db ? { db: { calls: run.db.calls, seconds: round(run.db.ms / 1000), top: topStatements(run.db.byStatement, 8) } } : {}),
        });
      }
    }
  } finally {
    await env.stop();
  }
  const scaling: IngestResult['scaling'] = {};
  for (const format of formats) {
    const bySize = new Map(cases.filter((c) => c.format === format).map((c) => [c.products, c.seconds]));
    const largest = Math.max(...sizes);
    const small = bySize.get(largest / 10);
    if (small) scaling[format] = round(bySize.get(largest)! / small);
  }
  return { cases, scaling };
}
