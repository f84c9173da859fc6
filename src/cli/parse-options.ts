import { InvalidArgumentError } from 'commander';

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
