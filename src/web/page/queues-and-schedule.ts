import { send } from './api.ts';
import type { Redrive, Schedule, Status, Trigger } from './api-types.ts';
import { byId } from './dom.ts';
import { act } from './message.ts';
import { renderHosts } from './supplier-hosts.ts';

const age = (seconds: number | null) =>
  seconds === null ? '' : seconds < 120 ? `${seconds} s` : seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;

/** The queue and DLQ lines (depth and the age of the oldest message), and the supplier hosts. */
export function renderStatus(status: Status): void {
  const q = status.queue;
  byId('queue-line').textContent = `Images queue: ${q.visible} waiting, ${q.inFlight} in flight${q.oldestAgeSeconds !== null ? `, oldest ${age(q.oldestAgeSeconds)}` : ''}`;
  const d = status.dlq;
  const dlqLine = byId('dlq-line');
  dlqLine.textContent = d ? `DLQ: ${d.visible + d.inFlight} messages${d.oldestAgeSeconds !== null ? `, oldest ${age(d.oldestAgeSeconds)}` : ''}` : 'DLQ: not configured';
  dlqLine.dataset.depth = String(d ? d.visible + d.inFlight : 0);
  renderHosts(status.hosts);
}

/** The schedule line, and Pause or Resume, whichever applies. */
export function renderSchedule(s: Schedule): void {
  const line = byId('schedule-line');
  line.textContent =
    `${s.enabled ? 'Enabled' : 'Paused'} · ${s.expression}` +
    (s.nextRunAt ? ` · next run ${new Date(s.nextRunAt).toLocaleString()}` : '') +
    ` · ${s.backend === 'aws' ? 'EventBridge Scheduler' : 'local timer'}`;
  line.dataset.enabled = String(s.enabled);
  byId('schedule-pause').hidden = !s.enabled;
  byId('schedule-resume').hidden = s.enabled;
}

const describeTrigger = (r: Trigger) =>
  r.mode === 'ran'
    ? `run #${r.summary.runId}: ${r.summary.imports.length} imports, ${r.summary.enqueued} images enqueued`
    : `run scheduled for ${new Date(r.at).toLocaleTimeString()} (${r.scheduleName})`;

const describeRedrive = (r: Redrive) =>
  r.method === 'copy' ? `${r.moved} messages moved back to the images queue` : `redrive started (${r.depth} messages)`;

/** The schedule's Pause / Resume / Run now buttons and the DLQ's Redrive button. */
export function wireQueueAndScheduleButtons(): void {
  const button = (id: string) => byId<HTMLButtonElement>(id);
  button('schedule-pause').addEventListener('click', () => act(button('schedule-pause'), () => send<Schedule>('POST', '/api/schedule/pause'), () => 'schedule paused'));
  button('schedule-resume').addEventListener('click', () => act(button('schedule-resume'), () => send<Schedule>('POST', '/api/schedule/resume'), () => 'schedule resumed'));
  button('schedule-run').addEventListener('click', () => act(button('schedule-run'), () => send<Trigger>('POST', '/api/schedule/trigger'), describeTrigger));
  button('dlq-redrive').addEventListener('click', () => act(button('dlq-redrive'), () => send<Redrive>('POST', '/api/dlq/redrive'), describeRedrive));
}
