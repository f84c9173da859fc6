import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../duration.ts';

/** Commander argument parsers: each refuses a bad value with a one-line reason. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function idList(value: string): number[] {
  return value.split(',').map((part) => positiveInt(part.trim()));
}

export function isoTime(value: string): Date {
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) throw new InvalidArgumentError('expected an ISO time, like 2026-11-02T08:00:00Z');
  return at;
}

/** `24h`, `90m`, `2d`, `3600s` → seconds; `""` → null (clears the setting). */
export function durationSeconds(value: string): number | null {
  if (value === '') return null;
  const seconds = parseDuration(value);
  if (seconds === undefined) throw new InvalidArgumentError('expected a duration such as 24h, 90m, 2d or 3600s');
  return seconds;
}

/** `on` / `off` → true / false. */
export function onOff(value: string): boolean {
  if (value === 'on' || value === 'off') return value === 'on';
  throw new InvalidArgumentError('expected on or off');
}
