import type { FeedReport } from '../admin/feed-status.ts';
import { table } from './output.ts';

/** When the tick fetches a feed next, in words: `off`, `next tick` (due, or fetched every tick), or the time. */
export function nextAttemptText(enabled: boolean, nextAttemptAt: Date | null, now = new Date()): string {
  if (!enabled) return 'off';
  return nextAttemptAt === null || nextAttemptAt <= now ? 'next tick' : nextAttemptAt.toISOString();
}

/** The `status` lines about supplier feeds: none when no supplier has one. */
export function feedLines(feeds: FeedReport[]): string[] {
  if (feeds.length === 0) return [];
  return [
    'feeds:',
    table(
      feeds.map((f) => ({
        supplier: f.supplier,
        state: f.enabled ? 'on' : 'off',
        'last fetch': f.lastFetch ? f.lastFetch.at.toISOString() : 'never',
        'next attempt': nextAttemptText(f.enabled, f.nextAttemptAt),
        outcome: !f.lastFetch
          ? ''
          : f.lastFetch.outcome === 'failed'
            ? `failed (${f.failuresInRow} in a row): ${f.lastFetch.error}`
            : f.lastFetch.outcome === 'imported'
              ? `imported as import ${f.lastFetch.importId}`
              : 'unchanged',
      })),
    ),
  ];
}
