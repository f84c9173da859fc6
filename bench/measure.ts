import { fork } from 'node:child_process';
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

/** Runs `rounds` interleaved rounds of each contender and keeps each one's fastest: noise only ever slows a round down. */
export async function bestOfInterleaved<K extends string>(
  rounds: number,
  contenders: Record<K, () => Promise<Timing>>,
): Promise<Record<K, Timing>> {
  const best = {} as Record<K, Timing>;
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(contenders) as [K, () => Promise<Timing>][]) {
      const timing = await run();
      if (!best[name] || timing.wallMs < best[name].wallMs) best[name] = timing;
    }
  }
  return best;
}

export interface ChildResult<T> {
  value: T;
  /** Peak resident set of the child, in MB (getrusage maxrss). */
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

/** The child's side of `runInChild`: handles one input, answers with the value and its peak RSS, exits. */
export function answerParent<I, T>(handle: (input: I) => Promise<T>) {
  process.once('message', (input) => {
    handle(input as I).then(
      (value) => {
        const peakRssMb = process.resourceUsage().maxRSS / 1024;
        process.send!({ value, peakRssMb }, () => process.exit(0));
      },
      (error: unknown) => process.send!({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () => process.exit(1)),
    );
  });
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));
