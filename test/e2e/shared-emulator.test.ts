import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { type FixtureCdn, startFixtureCdn } from '../../src/local/fixture-cdn.ts';
import { renderSampleImage } from '../../src/local/sample-images.ts';
import { itOnServer, startTestEnvironment, type TestEnvironment } from '../helpers/environment.ts';
import { buildCsv } from '../helpers/spreadsheets.ts';

const cliPath = new URL('../../src/cli.ts', import.meta.url).pathname;

/**
 * Processes on one DATA_DIR with DATABASE_URL set and no AWS_ENDPOINT_URL: each would once have run
 * an emulator of its own. Now the first runs DATA_DIR's one emulator and the others use it.
 */
describe('one embedded SQS/S3 emulator per DATA_DIR, shared by the processes on it', () => {
  let env: TestEnvironment;
  let cdn: FixtureCdn;
  let dataDir: string;
  const children: ChildProcess[] = [];

  const childEnv = () => {
    const { AWS_ENDPOINT_URL: _endpoint, ...rest } = process.env;
    return {
      ...rest,
      DATABASE_URL: env.ctx.config.databaseUrl,
      DATA_DIR: dataDir,
      LOCAL_AWS_PORT: '0',
      LOCAL_VISIBILITY_TIMEOUT: '2',
      LOG_LEVEL: 'ERROR',
      FETCH_ALLOW_HOSTS: new URL(cdn.baseUrl).host,
      FETCH_ALLOWED_PORTS: new URL(cdn.baseUrl).port,
    };
  };
  const run = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [cliPath, ...args], { env: childEnv(), cwd: dataDir }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      ),
    );
  const startWorker = () => {
    const child = spawn(process.execPath, [cliPath, 'work'], { env: childEnv(), cwd: dataDir, stdio: 'ignore' });
    children.push(child);
    return child;
  };
  const owner = () => readFile(join(dataDir, 'aws', 'owner.pid'), 'utf8').then(Number, () => undefined);
  async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    for (let attempt = 0; attempt < 300; attempt++) {
      const value = await read();
      if (done(value)) return value;
      await sleep(200);
    }
    throw new Error(`gave up waiting for ${what}`);
  }

  beforeAll(async () => {
    env = await startTestEnvironment();
    cdn = await startFixtureCdn();
    dataDir = await mkdtemp(join(tmpdir(), 'shared-emulator-'));
    for (const n of [1, 2, 3]) cdn.set(`/shared/${n}.jpg`, { body: await renderSampleImage({ label: `S-${n}`, width: 64, height: 48, format: 'jpeg', hue: n * 90 }) });
    const rows = [['SKU', 'Product Name', 'Image 1'], ...[1, 2, 3].map((n) => [`S-${n}`, `Shared ${n}`, cdn.url(`/shared/${n}.jpg`)])];
    await writeFile(join(dataDir, 'shared.csv'), buildCsv(rows));
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGINT');
    await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((done) => child.once('exit', done)) : undefined)));
    await cdn?.close();
    await env?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  itOnServer('messages one process sends are worked by another; a process still using it takes the emulator over', async () => {
    const first = startWorker();
    await until('the first worker to run the emulator', owner, (pid) => pid === first.pid);
    const port = await readFile(join(dataDir, 'aws', 'port'), 'utf8');

    // Another process uploads, imports and enqueues: into the first's emulator, where its worker takes them.
    const upload = await run('upload', join(dataDir, 'shared.csv'), '--supplier', 'shared', '--now', '--json');
    expect(upload).toMatchObject({ code: 0 });
    expect(await owner()).toBe(first.pid);
    const status = async () => JSON.parse((await run('status', '--json')).stdout) as { images: { done: number; failed: number }; queue: { visible: number } };
    const settled = await until('the images to be worked', status, (s) => s.images.done + s.images.failed === 3);
    expect(settled.images).toMatchObject({ done: 3, failed: 0 });
    const done = settled;
    expect(done.queue.visible).toBe(0);
    expect([1, 2, 3].map((n) => cdn.hits(`/shared/${n}.jpg`))).toEqual([1, 1, 1]);

    // A second worker uses the same emulator; when the first exits, it takes over on the same port,
    // so the media URLs already written stay valid.
    const second = startWorker();
    await sleep(1500);
    expect(await owner()).toBe(first.pid);
    first.kill('SIGINT');
    await until('the second worker to take over', owner, (pid) => pid === second.pid);
    expect(await readFile(join(dataDir, 'aws', 'port'), 'utf8')).toBe(port);
    const products = JSON.parse((await run('products', '--json')).stdout) as { products: Array<{ imageUrls: string[] }> };
    const url = products.products[0]!.imageUrls[0]!;
    expect(new URL(url).port).toBe(port);
    expect((await fetch(url)).status).toBe(200);
  }, 240_000);
});
