import type { FeedReport } from '../admin/feed-status.ts';
import { table } from './output.ts';

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
