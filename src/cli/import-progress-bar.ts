import cliProgress from 'cli-progress';
import type { ImportProgress } from '../catalog/index.ts';

/**
 * A live "rows read" line on stderr while a spreadsheet parses; the total is unknown until the end,
 * so it counts rather than fills. Only on a terminal and without --json: pipes and logs stay clean.
 */
export function importProgressBar(options: { json: boolean }): { onProgress?: (progress: ImportProgress) => void; stop(): void } {
  if (options.json || !process.stderr.isTTY) return { stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: 'import #{importId}: {value} rows read', stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress(progress) {
      if (!started) bar.start(0, 0, { importId: progress.importId });
      started = true;
      bar.setTotal(progress.rows);
      bar.update(progress.rows, { importId: progress.importId });
    },
    stop: () => started && bar.stop(),
  };
}
