import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/** True while a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Raised when another live process holds the lock. */
export class LockHeldError extends Error {
  override name = 'LockHeldError';
  readonly pid: number;
  constructor(message: string, pid: number) {
    super(message);
    this.pid = pid;
  }
}

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** The pid in a lock file; undefined when it vanished meanwhile. */
function holderOf(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8'));
  } catch (error) {
    if (code(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Takes an exclusive pid file, replacing one left by a process that died. The pid is written to a
 * private file first and hard-linked into place, which fails if the lock exists: the lock file is
 * never seen empty, and two processes cannot both win. Returns the release function.
 */
export function acquireProcessLock(path: string, what: string, hint = ''): () => void {
  const mine = `${path}.${process.pid}`;
  writeFileSync(mine, String(process.pid));
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(mine, path);
        return () => rmSync(path, { force: true });
      } catch (error) {
        if (code(error) !== 'EEXIST') throw error;
      }
      const holder = holderOf(path);
      if (holder === undefined) continue; // released meanwhile: try again
      if (holder !== process.pid && isProcessAlive(holder)) {
        throw new LockHeldError(`${what} is in use by another process (pid ${holder})${hint}`, holder);
      }
      // Left by a process that is gone. (Two processes taking over the same stale lock at the same
      // instant could still both win; for a local lock against accidents, that window is accepted.)
      rmSync(path, { force: true });
    }
    throw new Error(`could not lock ${path}`);
  } finally {
    rmSync(mine, { force: true });
  }
}
