import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedAws, startEmbeddedAws } from '../../../src/local/aws.ts';
import { startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import { startEmbeddedPostgres } from '../../../src/local/postgres.ts';
import { listenApp } from '../../../src/web/listen.ts';

/** This machine's own non-loopback IPv4 addresses: where another host on the network would connect. */
const ownNetworkAddresses = Object.values(networkInterfaces())
  .flat()
  .filter((a) => a && a.family === 'IPv4' && !a.internal)
  .map((a) => a!.address);

const connects = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });

/** Reachable on 127.0.0.1, refused on every address the machine has on the network. */
async function expectLoopbackOnly(url: string) {
  const { hostname, port } = new URL(url);
  expect(hostname).toBe('127.0.0.1');
  expect(await connects('127.0.0.1', Number(port))).toBe(true);
  for (const address of ownNetworkAddresses) expect({ address, connects: await connects(address, Number(port)) }).toEqual({ address, connects: false });
}

function rawRequest(port: number, options: { method: string; path: string; host?: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: options.method, path: options.path, headers: { host: options.host ?? `127.0.0.1:${port}`, ...options.headers } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.once('error', reject);
    req.end(options.body);
  });
}

describe('the embedded stack listens on loopback only', () => {
  let dir: string;
  let aws: EmbeddedAws;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loopback-'));
    aws = await startEmbeddedAws(0, join(dir, 'aws'));
  });
  afterAll(async () => {
    await aws.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the machine has a network address to try (else the checks below prove nothing)', () => {
    expect(ownNetworkAddresses.length).toBeGreaterThan(0);
  });

  it('fauxqs (SQS/S3), the PGlite socket, the fixture CDN and the dev admin server', async () => {
    await expectLoopbackOnly(aws.endpoint);
    const pg = await startEmbeddedPostgres();
    try {
      await expectLoopbackOnly(`http://${new URL(pg.url).host}`);
    } finally {
      await pg.stop();
    }
    const cdn = await startFixtureCdn();
    try {
      await expectLoopbackOnly(cdn.baseUrl);
    } finally {
      await cdn.close();
    }
    const app = await listenApp(new Hono(), 0);
    try {
      await expectLoopbackOnly(app.url);
    } finally {
      await app.close();
    }
  });

  it('refuses object keys that climb out of its storage directory, however encoded', async () => {
    const port = Number(new URL(aws.endpoint).port);
    expect((await rawRequest(port, { method: 'PUT', path: '/escape-test' })).status).toBe(200); // a bucket
    for (const path of ['/escape-test/a/../../../../escaped.txt', '/escape-test/a/%2e%2e/%2E%2E/%2e%2e/%2e%2e/escaped.txt', '/escape-test/..%2f..%2f..%2f..%2fescaped.txt', '/escape-test/a\\..\\..\\escaped.txt']) {
      const put = await rawRequest(port, { method: 'PUT', path, body: 'outside', headers: { 'content-type': 'text/plain' } });
      expect({ path, status: put.status }).toEqual({ path, status: 400 });
    }
    const copy = await rawRequest(port, { method: 'PUT', path: '/escape-test/copy', headers: { 'x-amz-copy-source': '/escape-test/../../../../etc/hostname' } });
    expect(copy.status).toBe(400);
    for (const candidate of [join(dir, 'escaped.txt'), join(dir, 'aws', 'escaped.txt'), join(dir, 'aws', 's3', 'escaped.txt'), join(dir, '..', 'escaped.txt')]) {
      expect(existsSync(candidate)).toBe(false);
    }
    // A plain key still works.
    expect((await rawRequest(port, { method: 'PUT', path: '/escape-test/inside/ok.txt', body: 'inside' })).status).toBe(200);
  });

  it('answers only requests addressed to a loopback name (a rebinding page sends its own Host)', async () => {
    const port = Number(new URL(aws.endpoint).port);
    expect((await rawRequest(port, { method: 'GET', path: '/', host: 'attacker.example' })).status).toBe(400);
    expect((await rawRequest(port, { method: 'GET', path: '/', host: `localhost:${port}` })).status).not.toBe(400);
  });
});
