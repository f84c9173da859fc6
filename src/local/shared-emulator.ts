import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../config.ts';
import type { Log } from '../observability/logger.ts';
import { type EmbeddedAws, startEmbeddedAws } from './aws.ts';
import { acquireProcessLock, isProcessAlive, LockHeldError } from './process-lock.ts';

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** `preferred` when it is free on 127.0.0.1, else any free port. */
function pickPort(preferred: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(undefined));
      probe.listen(port, '127.0.0.1', () => {
        const { port: bound } = probe.address() as AddressInfo;
        probe.close(() => resolve(bound));
      });
    });
  return (async () => (preferred > 0 ? await tryPort(preferred) : undefined) ?? (await tryPort(0))!)();
}

/**
 * The port of DATA_DIR's emulator, chosen once (LOCAL_AWS_PORT when free, else any) and kept in
 * `<awsDir>/port`: the media URLs written onto products name it, so it must not change from one
 * command to the next. Two processes choosing at once agree: the file is linked into place, first wins.
 */
export async function stableEmulatorPort(awsDir: string, preferred: number): Promise<number> {
  const file = join(awsDir, 'port');
  const read = () => Number(readFileSync(file, 'utf8'));
  try {
    return read();
  } catch (error) {
    if (code(error) !== 'ENOENT') throw error;
  }
  mkdirSync(awsDir, { recursive: true });
  const mine = `${file}.${process.pid}`;
  writeFileSync(mine, String(await pickPort(preferred)));
  try {
    linkSync(mine, file);
  } catch (error) {
    if (code(error) !== 'EEXIST') throw error;
  } finally {
    rmSync(mine, { force: true });
  }
  return read();
}

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
    socket.once('close', () => socket.destroy());
    socket.once('connect', () => socket.end());
  });

export interface EmulatorLease {
  endpoint: string;
  port: number;
  /** Whether this process runs the emulator now (it may take over later: see leaseEmbeddedAws). */
  runsHere(): boolean;
  release(): Promise<void>;
}

/**
 * DATA_DIR's one SQS/S3 emulator. The first process to need it runs it, on DATA_DIR's stable port,
 * holding `<awsDir>/owner.pid`; the others use that endpoint. When the one running it exits, a
 * process still using it takes over (same port, same files), so a long `work` outlives a short
 * `status` that happened to start the emulator, and no process ever holds messages of its own.
 */
export async function leaseEmbeddedAws(awsDir: string, preferredPort: number, log?: Log): Promise<EmulatorLease> {
  const port = await stableEmulatorPort(awsDir, preferredPort);
  const lockPath = join(awsDir, 'owner.pid');
  let running: { server: EmbeddedAws; unlock: () => void } | undefined;

  /** Runs the emulator here unless a live process already does; returns that process's pid then. */
  async function runUnlessHeld(): Promise<number | undefined> {
    let unlock: () => void;
    try {
      unlock = acquireProcessLock(lockPath, `the embedded SQS/S3 emulator of ${awsDir}`);
    } catch (error) {
      if (error instanceof LockHeldError) return error.pid;
      throw error;
    }
    try {
      running = { server: await startEmbeddedAws(port, awsDir), unlock };
      return undefined;
    } catch (error) {
      unlock();
      if (code(error) === 'EADDRINUSE') {
        throw new ConfigError(
          `port ${port}, where DATA_DIR's emulator always listens (its media URLs name it; see ${join(awsDir, 'port')}), is taken by another program: stop it, or use another DATA_DIR`,
        );
      }
      throw error;
    }
  }

  let holder = await runUnlessHeld();
  for (const deadline = Date.now() + 20_000; holder !== undefined && !(await answers(port)); ) {
    if (!isProcessAlive(holder)) holder = await runUnlessHeld();
    else if (Date.now() > deadline) throw new ConfigError(`the emulator of ${awsDir} (pid ${holder}) does not answer on port ${port}`);
    else await sleep(50);
  }

  let checking = false;
  const watch = setInterval(() => {
    if (running || checking || holder === undefined || isProcessAlive(holder)) return;
    checking = true;
    runUnlessHeld()
      .then((pid) => (holder = pid))
      .catch((error: unknown) => log?.warn('taking over the embedded emulator failed', { error: String(error) }))
      .finally(() => (checking = false));
  }, 500);
  watch.unref();

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    runsHere: () => running !== undefined,
    async release() {
      clearInterval(watch);
      while (checking) await sleep(10);
      const here = running;
      running = undefined;
      if (!here) return;
      await here.server.stop();
      here.unlock();
    },
  };
}
