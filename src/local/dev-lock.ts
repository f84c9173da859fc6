import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isProcessAlive } from './process-lock.ts';

interface DevLock {
  pid: number;
  url: string;
}

const lockPath = (dataDir: string) => join(resolve(dataDir), 'dev.json');

/** Records that `dev` owns DATA_DIR; returns the function that releases it. */
export function claimDevLock(dataDir: string, url: string): () => void {
  const path = lockPath(dataDir);
  mkdirSync(resolve(dataDir), { recursive: true });
  writeFileSync(path, JSON.stringify({ pid: process.pid, url } satisfies DevLock));
  return () => rmSync(path, { force: true });
}

/**
 * The running `dev` process that holds DATA_DIR, if any. The embedded Postgres (PGlite) is one
 * process's files: a second process opening them would corrupt the database, so commands refuse.
 */
export function runningDev(dataDir: string): DevLock | undefined {
  try {
    const lock = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as DevLock;
    return lock.pid !== process.pid && isProcessAlive(lock.pid) ? lock : undefined;
  } catch {
    return undefined;
  }
}
