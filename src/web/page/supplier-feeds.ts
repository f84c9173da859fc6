import { send } from './api.ts';
import type { FeedFetch, Status } from './api-types.ts';
import { byId, el } from './dom.ts';
import { act } from './message.ts';

type Feed = Status['feeds'][number];

function lastFetch(f: Feed): string {
  const last = f.lastFetch;
  if (!last) return 'never fetched';
  const at = new Date(last.at).toLocaleString();
  if (last.outcome === 'imported') return `${at}: imported as import #${last.importId}`;
  if (last.outcome === 'unchanged') return `${at}: unchanged`;
  return `${at}: failed (${last.errorKind}, ${f.failuresInRow} in a row): ${last.error}`;
}

/** When the tick fetches it next: a failing feed backs off, so say when. */
function nextAttempt(f: Feed): string {
  if (!f.enabled) return '';
  const at = f.nextAttemptAt === null ? null : new Date(f.nextAttemptAt);
  return `; next attempt ${at === null || at.getTime() <= Date.now() ? 'at the next tick' : at.toLocaleString()}`;
}

const describeFetch = (r: FeedFetch) =>
  r.outcome === 'imported'
    ? `${r.supplier}: feed imported as import #${r.importId}`
    : r.outcome === 'unchanged'
      ? `${r.supplier}: feed unchanged, no import`
      : `${r.supplier}: feed failed (${r.errorKind}): ${r.error}${r.failuresInRow ? ` (${r.failuresInRow} in a row)` : ''}`;

/** Each supplier feed with its last fetch (failing ones first, as the API sorts them) and a Fetch now button. */
export function renderFeeds(feeds: Status['feeds']): void {
  byId('feeds-list').replaceChildren(
    ...(feeds.length === 0
      ? [el('li', { className: 'muted' }, 'No supplier has a feed (supplier set <code> --feed-url URL)')]
      : feeds.map((f) =>
          el(
            'li',
            { dataset: { supplier: f.supplier, outcome: f.lastFetch?.outcome ?? 'never' } },
            `${f.supplier}${f.enabled ? '' : ' (off)'}: ${lastFetch(f)}${nextAttempt(f)} `,
            el('button', { type: 'button', className: 'secondary', dataset: { fetch: f.supplier } }, 'Fetch now'),
          ),
        )),
  );
}

/** "Fetch now": one listener on the list, whose items are redrawn at every refresh. */
export function wireFeedButtons(): void {
  byId('feeds-list').addEventListener('click', (event) => {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-fetch]');
    const code = button?.dataset.fetch;
    if (!button || !code) return;
    void act(button, () => send<FeedFetch>('POST', `/api/supplier-settings/${encodeURIComponent(code)}/fetch`), describeFetch);
  });
}
