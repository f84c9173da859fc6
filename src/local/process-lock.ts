import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';

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

/**
 * Takes an exclusive pid file (created with O_EXCL, so two processes cannot both win), replacing one
 * left by a process that died. Returns the release function.
 */
export function acquireProcessLock(path: string, what: string, hint = ''): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8'));
      if (holder && holder !== process.pid && isProcessAlive(holder)) {
        throw new LockHeldError(`${what} is in use by another process (pid ${holder})${hint}`, holder);
      }
      rmSync(path, { force: true }); // left by a process that is gone
    }
  }
  throw new Error(`could not lock ${path}`);
}
