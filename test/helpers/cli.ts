import { execFile } from 'node:child_process';
import { expect } from 'vitest';

const cliPath = new URL('../../src/cli.ts', import.meta.url).pathname;

/** What one CLI process left behind: its exit code and both streams. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI like a user would, as its own process on the embedded stack persisted in `dataDir`
 * (the suite's shared DATABASE_URL is dropped so the process uses its own; `extraEnv` can name a test's
 * database instead). Resolves whatever the exit code; a non-zero exit is something tests check, not an error.
 */
export function runCli(dataDir: string, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const { DATABASE_URL: _shared, ...env } = process.env;
    execFile(
      process.execPath,
      [cliPath, ...args],
      { env: { ...env, DATA_DIR: dataDir, LOCAL_AWS_PORT: '0', DEMO_CDN_PORT: '0', LOG_LEVEL: 'ERROR', ...extraEnv }, cwd: dataDir },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs a command with `--json`, expects exit 0 and a clean stderr (naming the command if not), and parses stdout. */
export async function runCliJson(dataDir: string, args: readonly string[], env: Record<string, string> = {}): Promise<any> {
  const result = await runCli(dataDir, [...args, '--json'], env);
  expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
  return JSON.parse(result.stdout);
}
