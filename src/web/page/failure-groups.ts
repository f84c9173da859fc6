import { send } from './api.ts';
import type { FailureGroups, Requeue } from './api-types.ts';
import { byId, el } from './dom.ts';
import { act } from './message.ts';

/** Failed images by kind, each group with example URLs and a "Re-queue N" button. */
export function renderFailures(groups: FailureGroups): void {
  const list = byId('failure-groups');
  list.replaceChildren(
    ...groups.map((g) => {
      const button = el('button', { type: 'button', dataset: { requeueKind: g.kind } }, `Re-queue ${g.count}`);
      button.addEventListener('click', () =>
        act(button, () => send<Requeue>('POST', '/api/requeue', { kind: g.kind, now: true }), (r) => `${r.requeued} ${g.kind} images re-queued`),
      );
      return el(
        'div',
        { className: 'group', dataset: { kind: g.kind } },
        el('h3', {}, `${g.kind} · ${g.count}`),
        el(
          'ul',
          {},
          ...g.examples.map((e) => el('li', {}, el('a', { href: e.sourceUrl, target: '_blank', rel: 'noreferrer' }, e.sourceUrl), e.error ? ` — ${e.error}` : '')),
        ),
        button,
      );
    }),
  );
  if (groups.length === 0) list.append(el('p', { className: 'muted' }, 'No failed images.'));
}
