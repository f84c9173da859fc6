import type { HostReport } from '../admin/host-status.ts';
import { table } from './output.ts';

/** What a host's budget is doing now, in words: paused until when, held back, or nothing. */
export function hostState(host: HostReport): string {
  if (host.pausedUntil) return `paused until ${host.pausedUntil.toISOString()}${host.pauseReason ? ` (${host.pauseReason})` : ''}`;
  if (host.throttled) return host.nextStartAt ? `throttled: next start ${host.nextStartAt.toISOString()}` : 'throttled: every slot taken';
  return '';
}

/** The `status` section on supplier hosts (the fleet-wide budget): one line each, paused first. */
export function hostLines(hosts: readonly HostReport[]): string {
  if (hosts.length === 0) return 'hosts: none fetched from in the last hour';
  return [
    'hosts:',
    table(hosts.map((h) => ({ host: h.host, 'in flight': h.inFlight, 'req/s': h.requestsPerSecond, state: hostState(h) }))),
  ].join('\n');
}
