import { describe, expect, it } from 'vitest';
import { workProgress } from '../../src/cli/work-progress.ts';

describe('work progress', () => {
  it('counts outcomes and prints them with the rate, rewriting one line on a terminal', () => {
    const written: string[] = [];
    let now = 0;
    const progress = workProgress({ write: (text) => written.push(text), tty: true, everyMs: 60_000, now: () => now });
    for (const result of ['done', 'done', 'failed', 'retry', 'skipped', 'unchanged'] as const) {
      progress.observe({ result } as Parameters<typeof progress.observe>[0]);
    }
    now = 2000;
    progress.stop();
    expect(progress.counts).toEqual({ processed: 6, done: 2, unchanged: 1, skipped: 1, failed: 1, retried: 1 });
    expect(written).toEqual(['\r6 images: 2 done, 1 unchanged, 1 skipped, 1 failed, 1 to retry · 3.0/s · 2 s\n']);
  });

  it('prints whole lines when stderr is not a terminal (logs)', () => {
    const written: string[] = [];
    const progress = workProgress({ write: (text) => written.push(text), tty: false, everyMs: 60_000, now: () => 0 });
    progress.stop();
    expect(written).toEqual(['0 images: 0 done, 0 unchanged, 0 skipped, 0 failed, 0 to retry · 0.0/s · 0 s\n']);
  });
});
