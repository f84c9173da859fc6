import pLimit, { type LimitFunction } from 'p-limit';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import type { Config } from '../config.ts';
import { checkUrl, createGuardedLookup, type Resolver } from './address-guard.ts';
import { ErrorKind, ImageError } from './errors.ts';

export type FetchConfig = Config['fetch'];

/** A downloaded image body with what the origin said about it. */
export interface Downloaded {
  notModified?: false;
  body: Buffer;
  contentType: string | undefined;
  etag: string | undefined;
  lastModified: string | undefined;
  /** The URL the body came from, after redirects. */
  finalUrl: string;
}

/** The origin answered 304 to a conditional GET: the picture we have is still current. */
export interface NotModified {
  notModified: true;
  finalUrl: string;
}

/** What we know of the copy we have: sent as If-None-Match / If-Modified-Since. */
export interface Validators {
  etag?: string | null | undefined;
  lastModified?: string | null | undefined;
}

export interface ImageFetcher {
  /**
   * With `validators` it is a conditional GET, and a 304 comes back as NotModified.
   * @throws ImageError with the kind that decides retry or fail.
   */
  download(url: string): Promise<Downloaded>;
  download(url: string, validators: Validators): Promise<Downloaded | NotModified>;
  close(): Promise<void>;
}

export interface FetcherOptions {
  /** DNS resolution; the system resolver unless a test needs a name to point somewhere. */
  resolve?: Resolver;
  /** Epoch milliseconds, for Retry-After given as an HTTP date. */
  now?: () => number;
}

type Hop =
  | { redirect: string }
  | { redirect?: undefined; notModified: true }
  | { redirect?: undefined; notModified?: false; body: Buffer; contentType?: string; etag?: string; lastModified?: string };

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Seconds to wait from a Retry-After header: delta-seconds or an HTTP date. */
function parseRetryAfter(value: string | undefined, now: () => number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now()) / 1000));
}

function statusError(url: string, status: number, retryAfterSeconds: number | undefined): ImageError {
  const retry = retryAfterSeconds === undefined ? '' : ` (Retry-After ${retryAfterSeconds}s)`;
  if (status === 429) return new ImageError(ErrorKind.rateLimited, `${url}: HTTP 429${retry}`, { retryAfterSeconds, httpStatus: status });
  // 408 is the server timing us out: worth another go, like a 5xx.
  if (status === 408 || status >= 500) {
    return new ImageError(ErrorKind.httpServerError, `${url}: HTTP ${status}${retry}`, { retryAfterSeconds, httpStatus: status });
  }
  // Other 4xx, and 1xx/3xx that are not followable redirects: asking again gives the same answer.
  return new ImageError(ErrorKind.httpClientError, `${url}: HTTP ${status}`, { httpStatus: status });
}

function transportError(url: string, error: unknown, config: FetchConfig, deadline: AbortSignal): ImageError {
  if (error instanceof ImageError) return error;
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (deadline.aborted) {
    return new ImageError(ErrorKind.timeout, `${url}: no complete response within ${config.responseTimeoutMs} ms`, {
      cause: error,
    });
  }
  const limits: Record<string, string> = {
    UND_ERR_CONNECT_TIMEOUT: `no connection within ${config.connectTimeoutMs} ms`,
    UND_ERR_HEADERS_TIMEOUT: `no response headers within ${config.headersTimeoutMs} ms`,
    UND_ERR_BODY_TIMEOUT: `body stalled for ${config.bodyTimeoutMs} ms`,
    ETIMEDOUT: `connection timed out`,
  };
  const limit = code === undefined ? undefined : limits[code];
  if (limit) return new ImageError(ErrorKind.timeout, `${url}: ${limit}`, { cause: error });
  return new ImageError(ErrorKind.network, `${url}: ${code ? `${code} ` : ''}${message}`, { cause: error });
}

async function readCapped(body: Dispatcher.ResponseData['body'], url: string, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).length;
    // Counted as it streams: a missing or lying Content-Length cannot make us buffer more.
    if (total > maxBytes) {
      body.destroy();
      throw new ImageError(ErrorKind.tooLarge, `${url}: body exceeds ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Downloads images through an undici Agent whose every connection goes through the SSRF guard.
 * Redirects are followed here, not by undici, so each hop is re-checked; bodies are capped at
 * `maxBytes` while streaming; at most `perHostConcurrency` requests run against one host from this
 * process (the fleet-wide budget is src/images/host-budget/, taken by the worker around each download).
 * @example
 * const fetcher = createImageFetcher(config.fetch);
 * const { body, contentType } = await fetcher.download('https://cdn.example.com/a.jpg');
 * await fetcher.close();
 */
export function createImageFetcher(config: FetchConfig, options: FetcherOptions = {}): ImageFetcher {
  const now = options.now ?? Date.now;
  const agent = new Agent({
    connect: { lookup: createGuardedLookup(config, options.resolve), timeout: config.connectTimeoutMs },
    headersTimeout: config.headersTimeoutMs,
    bodyTimeout: config.bodyTimeoutMs,
  });
  const limiters = new Map<string, LimitFunction>();

  async function perHost<T>(host: string, task: () => Promise<T>): Promise<T> {
    let limit = limiters.get(host);
    if (!limit) {
      limit = pLimit(config.perHostConcurrency);
      limiters.set(host, limit);
    }
    try {
      return await limit(task);
    } finally {
      if (limit.activeCount === 0 && limit.pendingCount === 0) limiters.delete(host);
    }
  }

  async function requestOnce(url: URL, deadline: AbortSignal, validators: Validators): Promise<Hop> {
    try {
      const { statusCode, headers, body } = await agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: {
          'user-agent': config.userAgent,
          accept: 'image/*',
          ...(validators.etag ? { 'if-none-match': validators.etag } : {}),
          ...(validators.lastModified ? { 'if-modified-since': validators.lastModified } : {}),
        },
        signal: deadline,
      });
      if (statusCode === 304 && (validators.etag || validators.lastModified)) {
        await body.dump().catch(() => undefined);
        return { notModified: true };
      }
      const location = header(headers, 'location');
      if (redirectStatuses.has(statusCode) && location) {
        await body.dump().catch(() => undefined);
        return { redirect: location };
      }
      if (statusCode < 200 || statusCode >= 300) {
        await body.dump().catch(() => undefined);
        throw statusError(url.href, statusCode, parseRetryAfter(header(headers, 'retry-after'), now));
      }
      const declared = Number(header(headers, 'content-length'));
      if (declared > config.maxBytes) {
        body.destroy();
        throw new ImageError(ErrorKind.tooLarge, `${url.href}: Content-Length ${declared} exceeds ${config.maxBytes} bytes`);
      }
      return {
        body: await readCapped(body, url.href, config.maxBytes),
        contentType: header(headers, 'content-type'),
        etag: header(headers, 'etag'),
        lastModified: header(headers, 'last-modified'),
      };
    } catch (error) {
      throw transportError(url.href, error, config, deadline);
    }
  }

  async function download(url: string, validators: Validators = {}): Promise<Downloaded | NotModified> {
    let current = checkUrl(url, config);
    // One deadline for the whole download, redirects included, so the worker's time budget holds. It
    // starts with the first request, not while waiting for a per-host slot.
    let deadline: AbortSignal | undefined;
    const visited = new Set<string>();
    for (let redirects = 0; ; redirects++) {
      visited.add(current.href);
      const hop = await perHost(current.hostname, () =>
        requestOnce(current, (deadline ??= AbortSignal.timeout(config.responseTimeoutMs)), validators),
      );
      if (hop.redirect === undefined) {
        if (hop.notModified) return { notModified: true, finalUrl: current.href };
        const { body, contentType, etag, lastModified } = hop;
        return { body, contentType, etag, lastModified, finalUrl: current.href };
      }
      if (redirects >= config.maxRedirects) {
        throw new ImageError(ErrorKind.tooManyRedirects, `${url}: more than ${config.maxRedirects} redirects`);
      }
      const next = URL.parse(hop.redirect, current.href);
      if (!next) throw new ImageError(ErrorKind.badUrl, `${current.href}: redirect to an invalid URL ${hop.redirect}`);
      if (visited.has(next.href)) {
        throw new ImageError(ErrorKind.tooManyRedirects, `${url}: redirect loop back to ${next.href}`);
      }
      current = checkUrl(next.href, config);
    }
  }

  // Without validators a 304 cannot come back as NotModified (requestOnce treats it as an error).
  return { download: download as ImageFetcher['download'], close: () => agent.close() };
}
