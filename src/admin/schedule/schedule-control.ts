import type { TickSummary } from '../../scheduled/run-tick.ts';

export const ScheduleBackend = { aws: 'aws', local: 'local' } as const;
export type ScheduleBackend = (typeof ScheduleBackend)[keyof typeof ScheduleBackend];

export interface ScheduleStatus {
  backend: ScheduleBackend;
  name: string;
  enabled: boolean;
  expression: string;
  /** When the next tick is due; null when paused or not derivable (a cron expression on AWS). */
  nextRunAt: Date | null;
}

/** What "run now" did: ran the tick here (local timer), or asked the Scheduler for a one-off run (AWS). */
export type TriggerResult =
  | { mode: 'ran'; summary: TickSummary }
  | { mode: 'scheduled'; scheduleName: string; at: Date };

/**
 * The schedule of the import tick, whatever drives it: EventBridge Scheduler on AWS, a timer whose
 * state lives in Postgres on the embedded stack. The CLI, the HTTP API and the page use only this.
 */
export interface ScheduleControl {
  status(): Promise<ScheduleStatus>;
  pause(): Promise<ScheduleStatus>;
  resume(): Promise<ScheduleStatus>;
  /** Validates with parseScheduleExpression before changing anything. */
  setRate(expression: string): Promise<ScheduleStatus>;
  trigger(): Promise<TriggerResult>;
}
