import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pLimit from 'p-limit';

export interface Timing {
  /** Wall-clock milliseconds. */
  wallMs: number;
  /** CPU milliseconds (user + system) this process spent meanwhile, libvips threads included. */
  cpuMs: number;
}

/** Runs `task` once and measures it. */
export async function timed<T>(task: () => Promise<T>): Promise<Timing & { value: T }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await task();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, value };
}

/** Runs `task` over every item, at most `concurrency` at once, and measures the whole. */
export async function timedPool<I, T>(items: readonly I[], concurrency: number, task: (item: I) => Promise<T>) {
  const limit = pLimit(concurrency);
  return timed(() => Promise.all(items.map((item) => limit(() => task(item)))));
}

/**
 * Runs `rounds` interleaved rounds of each contender. Keeps each one's fastest wall time (noise only
 * ever slows a round down), its CPU time over all rounds, which a busy neighbour disturbs far less,
 * and its CPU time in each round, so ratios can be taken within a round (both sides of a ratio then
 * ran next to each other, under the same neighbours).
 */
export async function bestOfInterleaved<K extends string>(
  rounds: number,
  contenders: Record<K, () => Promise<Timing>>,
): Promise<Record<K, Timing & { cpuMsPerRound: number; cpuMsByRound: number[] }>> {
  const best = {} as Record<K, Timing & { cpuMsPerRound: number; cpuMsByRound: number[] }>;
  const cpu = {} as Record<K, number[]>;
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(contenders) as [K, () => Promise<Timing>][]) {
      const timing = await run();
      (cpu[name] ??= []).push(timing.cpuMs);
      if (!best[name] || timing.wallMs < best[name].wallMs) best[name] = { ...timing, cpuMsPerRound: 0, cpuMsByRound: [] };
    }
  }
  for (const name of Object.keys(best) as K[]) {
    best[name].cpuMsByRound = cpu[name];
    best[name].cpuMsPerRound = cpu[name].reduce((a, b) => a + b, 0) / rounds;
  }
  return best;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface ChildResult<T> {
  value: T;
  /** Peak resident set of the child, in MB (VmHWM). */
  peakRssMb: number;
}

/**
 * Runs `script` in a fresh Node process, sends it `input` over IPC and waits for its answer; the
 * child replies `{ value, peakRssMb }` (see `answerParent`). Peak memory is only meaningful per process.
 */
export function runInChild<I, T>(script: string, input: I, env: Record<string, string> = {}): Promise<ChildResult<T>> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], { execArgv: [], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answer: ChildResult<T> | { error: string } | undefined;
    child.on('message', (message) => (answer = message as typeof answer));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (answer && 'error' in answer) reject(new Error(`${script}: ${answer.error}`));
      else if (answer) resolve(answer);
      else reject(new Error(`${script} exited with code ${code} and no answer`));
    });
    child.send(input as object);
  });
}

/**
 * This process's peak RSS in MB. VmHWM, not getrusage's maxrss: Linux carries maxrss over fork and
 * exec, so a child would report the parent's peak whenever that was larger.
 */
function peakRssMb(): number {
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!hwm) throw new Error('no VmHWM in /proc/self/status: peak memory needs Linux');
  return Number(hwm[1]) / 1024;
}

/** The child's side of `runInChild`: handles one input, answers with the value and its peak RSS, exits. */
export function answerParent<I, T>(handle: (input: I) => Promise<T>) {
  process.once('message', (input) => {
    handle(input as I).then(
      (value) => {
        process.send!({ value, peakRssMb: peakRssMb() }, () => process.exit(0));
      },
      (error: unknown) => process.send!({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () => process.exit(1)),
    );
  });
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));
