import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireProcessLock, LockHeldError } from '../../src/local/process-lock.ts';

describe('acquireProcessLock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));

  it('refuses while another live process holds it, naming the pid', () => {
    const path = join(dir, 'held.pid');
    writeFileSync(path, String(process.ppid)); // the parent is alive and not us
    expect(() => acquireProcessLock(path, 'the thing')).toThrow(LockHeldError);
    expect(() => acquireProcessLock(path, 'the thing')).toThrow(`the thing is in use by another process (pid ${process.ppid})`);
  });

  it('takes over a lock left by a process that is gone, and releases it', () => {
    const path = join(dir, 'stale.pid');
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(path, gone);
    const release = acquireProcessLock(path, 'the thing');
    expect(existsSync(path)).toBe(true);
    release();
    expect(existsSync(path)).toBe(false);
  });
});
