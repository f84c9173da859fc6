import type { Status } from './api-types.ts';
import { byId, el } from './dom.ts';

type Host = Status['hosts'][number];

const state = (h: Host) =>
  h.pausedUntil
    ? `paused until ${new Date(h.pausedUntil).toLocaleTimeString()}${h.pauseReason ? ` (${h.pauseReason})` : ''}`
    : h.throttled
      ? h.nextStartAt
        ? `throttled, next start ${new Date(h.nextStartAt).toLocaleTimeString()}`
        : 'throttled: every slot taken'
      : 'ok';

/** Supplier hosts under the fleet-wide budget: paused or throttled, until when, in flight, requests per second. */
export function renderHosts(hosts: Status['hosts']): void {
  const list = byId('hosts-list');
  list.replaceChildren(
    ...(hosts.length === 0
      ? [el('li', { className: 'muted' }, 'No supplier host fetched from in the last hour')]
      : hosts.map((h) =>
          el('li', { dataset: { host: h.host, paused: Boolean(h.pausedUntil), throttled: h.throttled } }, `${h.host}: ${state(h)} · ${h.inFlight} in flight · ${h.requestsPerSecond} req/s`),
        )),
  );
}
