import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { round } from './measure.ts';

const cliPath = new URL('../src/cli.ts', import.meta.url).pathname;

export interface CliLatency {
  rounds: number;
  /** Fastest wall ms of a bare `node -e ''`: what any command pays before its own code. */
  bareNodeMs: number;
  /** Fastest wall ms of each warm command on the embedded stack (PGlite, emulator under DATA_DIR). */
  commands: Record<string, number>;
}

/** Milliseconds of one child process, start to exit. */
function timeProcess(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  execFileSync(process.execPath, args, { env, stdio: 'ignore' });
  return performance.now() - started;
}

/**
 * Warm CLI commands on the embedded stack, as a user runs them one after another: a fresh DATA_DIR is
 * set up by one `status` first (migrations, emulator port, queues), then each command runs `rounds`
 * times interleaved with a bare `node -e ''`. The fastest round of each is kept: noise only slows.
 */
export function benchCliLatency(rounds = 5): CliLatency {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
  const { DATABASE_URL: _db, AWS_ENDPOINT_URL: _aws, ...rest } = process.env;
  const env = { ...rest, DATA_DIR: dataDir, LOCAL_AWS_PORT: '0', LOG_LEVEL: 'ERROR' };
  const commands: Record<string, string[]> = { 'status --json': ['status', '--json'], 'products --json': ['products', '--json'], 'imports --json': ['imports', '--json'] };
  try {
    timeProcess([cliPath, 'status', '--json'], env);
    const best: Record<string, number> = { bare: Infinity };
    for (let round = 0; round < rounds; round++) {
      best.bare = Math.min(best.bare!, timeProcess(['-e', ''], env));
      for (const [name, args] of Object.entries(commands)) best[name] = Math.min(best[name] ?? Infinity, timeProcess([cliPath, ...args], env));
    }
    const { bare, ...warm } = best;
    return { rounds, bareNodeMs: round(bare!, 0), commands: Object.fromEntries(Object.entries(warm).map(([k, v]) => [k, round(v, 0)])) };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
