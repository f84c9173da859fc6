import type { ImageOutcome } from '../images/process-image.ts';

/** Counts by outcome, as `work` reports them while it runs. */
export interface WorkCounts {
  processed: number;
  done: number;
  unchanged: number;
  skipped: number;
  failed: number;
  retried: number;
}

/** One progress line: counts and the rate since `startedAt`. */
export function describeWork(counts: WorkCounts, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (counts.processed / elapsedMs) * 1000 : 0;
  return (
    `${counts.processed} images: ${counts.done} done, ${counts.unchanged} unchanged, ${counts.skipped} skipped, ` +
    `${counts.failed} failed, ${counts.retried} to retry · ${rate.toFixed(1)}/s · ${Math.round(elapsedMs / 1000)} s`
  );
}

/**
 * Progress of `work` on stderr while it runs: rewritten in place on a terminal, a line every
 * `everyMs` otherwise (logs). `observe` takes each image's outcome; `stop` prints the last line.
 */
export function workProgress(options: { write: (text: string) => void; tty: boolean; everyMs?: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const started = now();
  const counts: WorkCounts = { processed: 0, done: 0, unchanged: 0, skipped: 0, failed: 0, retried: 0 };
  let shown = '';
  const show = (final: boolean) => {
    const line = describeWork(counts, now() - started);
    if (options.tty) options.write(`\r${line}${final ? '\n' : ''}`);
    else if (line !== shown || final) options.write(`${line}\n`);
    shown = line;
  };
  const timer = setInterval(() => show(false), options.everyMs ?? (options.tty ? 500 : 5000));
  timer.unref();
  return {
    counts,
    observe(outcome: ImageOutcome) {
      counts.processed += 1;
      if (outcome.result === 'retry') counts.retried += 1;
      else counts[outcome.result] += 1;
    },
    stop() {
      clearInterval(timer);
      show(true);
    },
  };
}
