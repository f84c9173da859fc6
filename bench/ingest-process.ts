import { createReadStream } from 'node:fs';
import { importSpreadsheet, type ImportSummary, type SpreadsheetFormat } from '../src/catalog/index.ts';
import type { Config } from '../src/config.ts';
import { createContext } from '../src/context.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { countQueries, type StatementStats } from './count-queries.ts';
import { answerParent } from './measure.ts';

export interface IngestInput {
  config: Config;
  importId: number;
  path: string;
  format: SpreadsheetFormat;
}

export interface IngestRun {
  summary: ImportSummary;
  wallMs: number;
  /** Statements the import sent, their summed wait, and the same per statement: where the time goes. */
  db?: { calls: number; ms: number; byStatement: Record<string, StatementStats> };
}

// The scheduled tick's import of one registered spreadsheet in its own process (as one Lambda
// container): streamed, parsed, validated and upserted. Its peak RSS is the tick's memory. The file
// streams from disk rather than S3: the emulator refuses single PUTs over 11 MiB (see docs/performance.md).
answerParent<IngestInput, IngestRun>(async ({ config, importId, path, format }) => {
  const ctx = await createContext(config, silentLogger);
  const queries = countQueries(ctx.pool);
  try {
    const start = performance.now();
    const summary = await importSpreadsheet(ctx, importId, createReadStream(path), format);
    return { summary, wallMs: performance.now() - start, db: { calls: queries.calls(), ms: queries.ms(), byStatement: queries.byStatement() } };
  } finally {
    await ctx.close();
  }
});
