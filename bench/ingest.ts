import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ensureSupplier, insertImport } from '../src/catalog/import-records.ts';
import { startTestEnvironment } from '../test/helpers/environment.ts';
import { bundleChild } from './bundle.ts';
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
}

export interface IngestResult {
  cases: IngestCase[];
  /** Time of the largest file over time of the one 10× smaller, per format (target ≤ 11). */
  scaling: Partial<Record<SheetFormat, number>>;
}

/**
 * Each generated spreadsheet registered as an import, then imported by importSpreadsheet in its own
 * process (bundled like the Lambda): rows/s and that process's peak RSS. Registering skips the S3 PUT
 * of registerUpload, which the emulator refuses over 11 MiB; each case has its own supplier, so every
 * import inserts rather than updates.
 */
export async function benchIngest(sizes: readonly number[], formats: readonly SheetFormat[] = ['csv', 'xlsx']): Promise<IngestResult> {
  const env = await startTestEnvironment({});
  const { ctx } = env;
  const script = await bundleChild(join(import.meta.dirname, 'ingest-process.ts'));
  const cases: IngestCase[] = [];
  try {
    for (const products of sizes) {
      for (const format of formats) {
        const path = await supplierSheet(products, format);
        const body = readFileSync(path);
        const code = `bench-${format}-${products}`;
        const importId = await insertImport(ctx.db, {
          supplierId: await ensureSupplier(ctx.db, code),
          sourceKey: `${ctx.config.uploadsPrefix}${code}/${basename(path)}`,
          fileName: basename(path),
          fileHash: createHash('sha256').update(body).digest('hex'),
          fileBytes: body.length,
        });
        const run = await runInChild<IngestInput, IngestRun>(script, { config: ctx.config, importId: importId!, path, format });
        const { summary } = run.value;
        const seconds = run.value.wallMs / 1000;
        cases.push({
          format,
          products,
          fileMb: round(body.length / 1024 / 1024, 1),
          status: summary.status,
          ...(summary.error ? { error: summary.error } : {}),
          rows: summary.rowsImported,
          imagesPending: summary.imagesPending,
          seconds: round(seconds),
          rowsPerSecond: round(summary.rowsImported / seconds, 0),
          peakRssMb: round(run.peakRssMb, 0),
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
