import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import type { Config } from '../config.ts';
import { renderSampleImage } from './sample-images.ts';

/** What the fixture CDN serves at a path. */
export interface FixtureRoute {
  body: Buffer;
  contentType?: string;
  status?: number;
  headers?: Record<string, string>;
  /** Send without Content-Length (chunked), as streaming origins do. */
  chunked?: boolean;
  /** Hold the response this long before answering: lets tests overlap requests. */
  delayMs?: number;
  /** Sent as Last-Modified; an If-Modified-Since naming it gets a 304. */
  lastModified?: string;
  /** No ETag (an origin that validates by Last-Modified only). */
  noEtag?: boolean;
  /** Headers the request must carry with exactly these values, or the answer is 401 (a feed behind a token). */
  requireHeaders?: Record<string, string>;
}

/** The ways a supplier's server misbehaves, each reproducible on demand. */
export const FaultMode = {
  status500: 'status500',
  status503RetryAfter: 'status503RetryAfter',
  status429: 'status429',
  status404: 'status404',
  /** Accepts the request and never sends headers. */
  timeout: 'timeout',
  /** Destroys the socket without a response. */
  reset: 'reset',
  /** Sends the image a few bytes at a time, slowly. */
  slowDrip: 'slowDrip',
  /** Declares a Content-Length larger than what it sends, then closes. */
  truncated: 'truncated',
  /** A real image labelled text/html. */
  wrongContentType: 'wrongContentType',
  /** An HTML page labelled image/jpeg. */
  notAnImage: 'notAnImage',
  /** A small PNG whose header claims 20000×20000 pixels. */
  pixelBomb: 'pixelBomb',
  /** Redirects to itself. */
  redirectLoop: 'redirectLoop',
} as const;
export type FaultMode = (typeof FaultMode)[keyof typeof FaultMode];
export type Fault = FaultMode | { redirectTo: string };

export interface FixtureCdn {
  baseUrl: string;
  url(path: string): string;
  set(path: string, route: FixtureRoute): void;
  setFault(path: string, fault: Fault): void;
  /** Requests received for a path, faults included. */
  hits(path: string): number;
  /** Headers of the latest request for a path. */
  lastHeaders(path: string): http.IncomingHttpHeaders | undefined;
  /** The most requests the server has held open at once. */
  peakConcurrency(): number;
  close(): Promise<void>;
}

const once = <T>(make: () => Promise<T>) => {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
};

/** A valid 1-bit greyscale PNG of 20000×20000 zeros: ~50 KB on the wire, 400 MP when decoded. */
function pixelBombPng(): Buffer {
  const width = 20_000;
  const height = 20_000;
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter, no interlace
  const scanlines = Buffer.alloc(height * (1 + Math.ceil(width / 8)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(scanlines, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const routeKey = (path: string) => (path.startsWith('/') ? path : `/${path}`);

/** Answers in one go; Node adds the Content-Length because the headers are not flushed early. */
function send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: Buffer | string | undefined) {
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(body);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An HTTP server on 127.0.0.1 (random port) standing in for suppliers' image hosts in the demo
 * and in tests. Fetching from it needs `127.0.0.1` in `FETCH_ALLOW_HOSTS`: it is loopback.
 * `port` 0 (the default) picks a free one; a fixed port keeps URLs stable across demo runs.
 */
export async function startFixtureCdn(options: { port?: number } = {}): Promise<FixtureCdn> {
  const routes = new Map<string, FixtureRoute>();
  const faults = new Map<string, Fault>();
  const hitCounts = new Map<string, number>();
  const headersSeen = new Map<string, http.IncomingHttpHeaders>();
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let peak = 0;
  const sampleJpeg = once(() => renderSampleImage({ label: 'FIXTURE', width: 320, height: 240, format: 'jpeg', hue: 200 }));
  const bomb = once(async () => pixelBombPng());

  async function imageFor(path: string): Promise<{ body: Buffer; contentType: string }> {
    const route = routes.get(path);
    return route ? { body: route.body, contentType: route.contentType ?? 'image/jpeg' } : { body: await sampleJpeg(), contentType: 'image/jpeg' };
  }

  async function serveFault(fault: Fault, path: string, req: http.IncomingMessage, res: http.ServerResponse) {
    if (typeof fault === 'object') {
      send(res, 302, { location: fault.redirectTo }, undefined);
      return;
    }
    switch (fault) {
      case 'status500':
        send(res, 500, { 'content-type': 'text/plain' }, 'internal error');
        return;
      case 'status503RetryAfter':
        send(res, 503, { 'retry-after': '1', 'content-type': 'text/plain' }, 'unavailable');
        return;
      case 'status429':
        send(res, 429, { 'retry-after': '1', 'content-type': 'text/plain' }, 'slow down');
        return;
      case 'status404':
        send(res, 404, { 'content-type': 'text/plain' }, 'not found');
        return;
      case 'timeout':
        return; // the socket stays open until the client gives up or the server closes
      case 'reset':
        req.socket.destroy();
        return;
      case 'slowDrip': {
        const { body, contentType } = await imageFor(path);
        res.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
        for (let offset = 0; offset < body.length && !res.destroyed; offset += 16) {
          res.write(body.subarray(offset, offset + 16));
          await sleep(50);
        }
        res.end();
        return;
      }
      case 'truncated': {
        const { body, contentType } = await imageFor(path);
        res.writeHead(200, { 'content-type': contentType, 'content-length': body.length * 2 });
        res.write(body, () => req.socket.destroy());
        return;
      }
      case 'wrongContentType':
        send(res, 200, { 'content-type': 'text/html' }, (await imageFor(path)).body);
        return;
      case 'notAnImage':
        send(res, 200, { 'content-type': 'image/jpeg' }, '<!doctype html><html><body>Not found</body></html>');
        return;
      case 'pixelBomb':
        send(res, 200, { 'content-type': 'image/png' }, await bomb());
        return;
      case 'redirectLoop':
        send(res, 302, { location: path }, undefined);
        return;
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const path = new URL(req.url ?? '/', 'http://fixture').pathname;
    hitCounts.set(path, (hitCounts.get(path) ?? 0) + 1);
    headersSeen.set(path, req.headers);
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    res.on('close', () => (inFlight -= 1));
    const fault = faults.get(path);
    if (fault) return serveFault(fault, path, req, res);
    const route = routes.get(path);
    if (!route) {
      send(res, 404, { 'content-type': 'text/plain' }, 'no such fixture');
      return;
    }
    if (route.delayMs) await sleep(route.delayMs);
    if (Object.entries(route.requireHeaders ?? {}).some(([name, value]) => req.headers[name.toLowerCase()] !== value)) {
      send(res, 401, { 'content-type': 'text/plain' }, 'unauthorized');
      return;
    }
    // A strong ETag of the body, and 304 to a matching If-None-Match, as real CDNs answer re-checks.
    const etag = route.noEtag ? undefined : `"${createHash('sha1').update(route.body).digest('hex')}"`;
    const validators = { ...(etag ? { etag } : {}), ...(route.lastModified ? { 'last-modified': route.lastModified } : {}) };
    const ifNoneMatch = req.headers['if-none-match'];
    const notModified = ifNoneMatch !== undefined ? ifNoneMatch === etag : route.lastModified !== undefined && req.headers['if-modified-since'] === route.lastModified;
    if (notModified) {
      send(res, 304, validators, undefined);
      return;
    }
    const headers = { 'content-type': route.contentType ?? 'image/jpeg', ...validators, ...route.headers };
    if (route.chunked) res.writeHead(route.status ?? 200, headers).end(route.body);
    else send(res, route.status ?? 200, headers, route.body);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: Error) => res.destroy(error));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject); // EADDRINUSE on a fixed port
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    baseUrl,
    url: (path) => `${baseUrl}${routeKey(path)}`,
    set: (path, route) => {
      faults.delete(routeKey(path));
      routes.set(routeKey(path), route);
    },
    setFault: (path, fault) => faults.set(routeKey(path), fault),
    hits: (path) => hitCounts.get(routeKey(path)) ?? 0,
    lastHeaders: (path) => headersSeen.get(routeKey(path)),
    peakConcurrency: () => peak,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Starts on `port` (stable URLs from run to run), or on any free port when that one is taken. */
export function startFixtureCdnPreferring(port: number): Promise<FixtureCdn> {
  return startFixtureCdn({ port }).catch(() => startFixtureCdn());
}

/**
 * The config a local worker needs to fetch from this CDN: loopback is refused by the fetch guard, so
 * exactly this CDN's address and port are allowed, and nothing else on the machine.
 */
export function allowingFixtureCdn(config: Config, cdn: FixtureCdn): Config {
  const { host } = new URL(cdn.baseUrl);
  return { ...config, fetch: { ...config.fetch, allowHosts: [...config.fetch.allowHosts, host] } };
}
