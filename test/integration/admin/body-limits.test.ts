import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { MAX_JSON_BODY_BYTES } from '../../../src/web/admin-app.ts';
import { type AdminServer, startAdminServer } from '../../helpers/admin-server.ts';
import { itOnServer } from '../../helpers/environment.ts';

const cliPath = new URL('../../../src/cli.ts', import.meta.url).pathname;

const token = 'body-limits-token-0123456789';

/**
 * Sends a request whose body comes from `chunks` (as slowly as the server takes it) and resolves
 * with the status as soon as it arrives, and how many body bytes had been written by then.
 */
function send(url: string, options: { path: string; method?: string; token?: string; open?: boolean; headers: Record<string, string>; chunks: () => Iterable<Buffer> }) {
  return new Promise<{ status: number; body: string; bytesSent: number }>((resolve, reject) => {
    const { port } = new URL(url);
    let bytesSent = 0;
    let answered = false;
    const req = http.request({ host: '127.0.0.1', port, method: options.method ?? 'POST', path: options.path, headers: { authorization: `Bearer ${options.token ?? token}`, ...options.headers } }, (res) => {
      answered = true;
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode!, body, bytesSent });
      });
    });
    req.on('error', (error) => (answered ? undefined : reject(error)));
    (async () => {
      for (const chunk of options.chunks()) {
        if (answered || req.destroyed) return;
        bytesSent += chunk.length;
        if (!req.write(chunk)) await new Promise((drained) => req.once('drain', drained).once('close', drained));
      }
      if (!options.open) req.end();
    })().catch(() => {});
  });
}

function* repeat(chunk: Buffer, times: number) {
  for (let i = 0; i < times; i++) yield chunk;
}

describe('admin API body limits and streamed uploads', () => {
  let server: AdminServer;
  beforeAll(async () => {
    server = await startAdminServer(token, { MAX_UPLOAD_BYTES: String(300 * 1024 * 1024) });
  });
  afterAll(() => server?.stop());

  it('answers 413 to a JSON body declared over the limit without waiting for it', async () => {
    // 300 MB declared, one chunk sent: the answer comes before the rest (which never does).
    const response = await send(server.url, {
      path: '/api/requeue',
      headers: { 'content-type': 'application/json', 'content-length': String(300 * 1024 * 1024) },
      open: true,
      chunks: function* () {
        yield Buffer.from('{"all":');
      },
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ error: `request body over the ${MAX_JSON_BODY_BYTES}-byte limit` });
  });

  it('answers 413 to a chunked JSON body as soon as it passes the limit, before the body ends', async () => {
    // Just over the limit, then the request stays open: an answer proves the rest was never awaited.
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const response = await send(server.url, {
      path: '/api/supplier-settings/acme',
      method: 'PATCH',
      open: true,
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      chunks: () => repeat(chunk, MAX_JSON_BODY_BYTES / chunk.length + 1),
    });
    expect(response.status).toBe(413);
  });

  itOnServer('streams a 200 MB multipart upload to S3: the serving process never holds the file', async () => {
    // `dev` in its own process, over this test's database and emulator (AWS_ENDPOINT_URL: it starts
    // none of its own), so the kernel's high-water mark of its resident memory is the server's alone.
    const dataDir = mkdtempSync(join(tmpdir(), 'upload-memory-'));
    const devToken = 'upload-memory-token-0123456789';
    const child = spawn(process.execPath, [cliPath, 'dev'], {
      env: {
        ...process.env,
        DATABASE_URL: server.ctx.config.databaseUrl,
        AWS_ENDPOINT_URL: server.ctx.config.aws.endpoint,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        ADMIN_TOKEN: devToken,
        DEV_PORT: '0',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'ERROR',
        MAX_UPLOAD_BYTES: String(300 * 1024 * 1024),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let stderr = '';
        child.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk;
          const found = /admin page: (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr);
          if (found) resolve(found[1]!);
        });
        child.once('exit', (code) => reject(new Error(`dev exited (${code}): ${stderr}`)));
      });
      const peakKb = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
      const before = peakKb();
      const boundary = '----catalog-importer-test';
      const line = Buffer.from(`${'SKU-000001,A product title that is long enough,https://img.example.test/a.jpg'.padEnd(127, ' ')}\n`);
      const chunk = Buffer.concat(Array.from({ length: 512 }, () => line)); // 64 KB
      const size = 200 * 1024 * 1024;
      const head = Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="supplier"\r\n\r\nbig\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n`,
      );
      const response = await send(url, {
        path: '/api/uploads',
        token: devToken,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        chunks: function* () {
          yield head;
          yield* repeat(chunk, size / chunk.length);
          yield Buffer.from(`\r\n--${boundary}--\r\n`);
        },
      });
      expect(response.status).toBe(201);
      const { sourceKey } = JSON.parse(response.body) as { sourceKey: string };
      const stored = await server.ctx.s3.send(new HeadObjectCommand({ Bucket: server.ctx.config.buckets.uploads, Key: sourceKey }));
      expect(stored.ContentLength).toBe(size);
      const first = await server.ctx.s3.send(new GetObjectCommand({ Bucket: server.ctx.config.buckets.uploads, Key: sourceKey, Range: 'bytes=0-9' }));
      expect(await first.Body!.transformToString()).toBe('SKU-000001');
      // The kernel's high-water mark of the server's resident memory, before and after: reading the form
      // whole and copying it (parseBody, arrayBuffer, Buffer.from, the SDK's parts) grew it by several
      // times the file; streamed, it grows by the parts in flight and garbage not yet collected.
      const grownBytes = (peakKb() - before) * 1024;
      expect({ grownMb: Math.round(grownBytes / 2 ** 20), underHalfTheFile: grownBytes < size / 2 }).toMatchObject({ underHalfTheFile: true });
    } finally {
      child.kill('SIGINT');
      await new Promise((done) => (child.exitCode === null ? child.once('exit', done) : done(undefined)));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
