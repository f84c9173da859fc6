import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Agent, type Dispatcher } from 'undici';
import type { Config } from '../config.ts';
import { CatalogError } from '../catalog/errors.ts';
import { type SpooledFile, spoolToTempFile } from '../catalog/spool-to-file.ts';
import type { UploadContent } from '../catalog/upload-content.ts';
import { checkUrl, createGuardedLookup, type Resolver } from '../images/address-guard.ts';
import { ImageError } from '../images/errors.ts';
import { FeedError, FeedErrorKind } from './errors.ts';

/** What we know of the body we fetched last: sent as If-None-Match / If-Modified-Since. */
export interface FeedValidators {
  etag?: string | null;
  lastModified?: string | null;
}

/** A new body, inflated and spooled to a temp file; `remove()` it when done. */
export interface FetchedFeed {
  notModified: false;
  httpStatus: number;
  /** Bytes received on the wire (before gunzip). */
  wireBytes: number;
  /** The body as it will be stored and imported. */
  content: UploadContent;
  /** The last segment of the final URL, without `.gz`: the import's file name. */
  fileName: string;
  etag: string | undefined;
  lastModified: string | undefined;
  finalUrl: string;
  remove(): Promise<void>;
}

export interface FeedNotModified {
  notModified: true;
  httpStatus: 304;
  finalUrl: string;
}

export interface FeedRequest {
  headers: Record<string, string>;
  validators: FeedValidators;
  /** Epoch ms at which the tick must stop: the fetch is abandoned then, even within FEED_RESPONSE_TIMEOUT_MS. */
  deadline?: number;
}

export interface FeedFetcher {
  /** @throws FeedError with the kind admins see. */
  fetch(url: string, request: FeedRequest): Promise<FetchedFeed | FeedNotModified>;
  close(): Promise<void>;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** What went wrong, as a FeedError; `deadlines` tell an abort by our own timeout or the tick's from a network failure. */
function asFeedError(url: string, error: unknown, config: Config, deadlines: { response?: AbortSignal; tick?: AbortSignal } = {}): FeedError {
  if (error instanceof FeedError) return error;
  // The address guard speaks ImageError; its kinds (bad_url, blocked_address) are ours too.
  if (error instanceof ImageError) return new FeedError(error.kind as FeedErrorKind, error.message, { cause: error });
  if (error instanceof CatalogError) return new FeedError(FeedErrorKind.tooLarge, `${url}: ${error.message}`, { cause: error });
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (deadlines.tick?.aborted) {
    return new FeedError(FeedErrorKind.timeout, `${url}: not complete when the tick's time ran out; fetched again by the next tick`, { cause: error, ours: true });
  }
  if (deadlines.response?.aborted) {
    return new FeedError(FeedErrorKind.timeout, `${url}: no complete response within ${config.feeds.responseTimeoutMs} ms (FEED_RESPONSE_TIMEOUT_MS)`, { cause: error });
  }
  if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') return new FeedError(FeedErrorKind.badGzip, `${url}: the gzip body does not inflate: ${message}`, { cause: error });
  const limits: Record<string, string> = {
    UND_ERR_CONNECT_TIMEOUT: `no connection within ${config.fetch.connectTimeoutMs} ms`,
    UND_ERR_HEADERS_TIMEOUT: `no response headers within ${config.fetch.headersTimeoutMs} ms`,
    UND_ERR_BODY_TIMEOUT: `body stalled for ${config.fetch.bodyTimeoutMs} ms`,
  };
  const limit = code === undefined ? undefined : limits[code];
  if (limit) return new FeedError(FeedErrorKind.timeout, `${url}: ${limit}`, { cause: error });
  return new FeedError(FeedErrorKind.network, `${url}: ${code ? `${code} ` : ''}${message}`, { cause: error });
}

function statusError(url: string, status: number): FeedError {
  const kind = status === 408 || status === 429 || status >= 500 ? FeedErrorKind.httpServerError : FeedErrorKind.httpClientError;
  return new FeedError(kind, `${url}: HTTP ${status}`, { httpStatus: status });
}

/** Counts the bytes as they arrive and stops past `maxBytes`: a missing or lying Content-Length cannot make us read more. */
async function* capped(body: AsyncIterable<Uint8Array>, url: string, maxBytes: number, counted: { bytes: number }) {
  for await (const chunk of body) {
    counted.bytes += chunk.length;
    if (counted.bytes > maxBytes) throw new FeedError(FeedErrorKind.tooLarge, `${url}: body exceeds ${maxBytes} bytes (FEED_MAX_BYTES)`);
    yield chunk;
  }
}

function fileNameOf(url: URL): { fileName: string; gzipFile: boolean } {
  const last = decodeURIComponent(url.pathname.split('/').pop() ?? '');
  const gzipFile = /\.gz$/i.test(last);
  const name = gzipFile ? last.slice(0, -3) : last;
  return { fileName: name === '' ? 'feed.csv' : name, gzipFile };
}

async function hashFile(file: SpooledFile): Promise<UploadContent> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file.path)) {
    bytes += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { bytes, sha256: hash.digest('hex'), open: () => createReadStream(file.path) };
}

/**
 * Fetches supplier feeds through an undici Agent whose every connection goes through the image
 * fetcher's SSRF guard (`FETCH_ALLOW_HOSTS`, `FETCH_ALLOWED_PORTS`, its connect/headers/stall
 * timeouts). Redirects are followed here, each hop re-checked, and the secret headers are dropped
 * when a redirect leaves the feed's origin. The body streams to a temp file: at most
 * `FEED_MAX_BYTES` on the wire, inflated (Content-Encoding gzip, or a `.gz` file) to at most
 * `MAX_UPLOAD_BYTES`, all within `FEED_RESPONSE_TIMEOUT_MS`.
 * @example
 * const fetcher = createFeedFetcher(config);
 * const feed = await fetcher.fetch(url, { headers: {}, validators: { etag: previousEtag } });
 * await fetcher.close();
 */
export function createFeedFetcher(config: Config, options: { resolve?: Resolver } = {}): FeedFetcher {
  const agent = new Agent({
    connect: { lookup: createGuardedLookup(config.fetch, options.resolve), timeout: config.fetch.connectTimeoutMs },
    headersTimeout: config.fetch.headersTimeoutMs,
    bodyTimeout: config.fetch.bodyTimeoutMs,
  });

  async function body(url: URL, response: Dispatcher.ResponseData): Promise<FetchedFeed> {
    const declared = Number(header(response.headers, 'content-length'));
    if (declared > config.feeds.maxBytes) {
      response.body.destroy();
      throw new FeedError(FeedErrorKind.tooLarge, `${url.href}: Content-Length ${declared} exceeds ${config.feeds.maxBytes} bytes (FEED_MAX_BYTES)`);
    }
    const { fileName, gzipFile } = fileNameOf(url);
    const encoding = header(response.headers, 'content-encoding')?.trim().toLowerCase();
    if (encoding && encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
      response.body.destroy();
      throw new FeedError(FeedErrorKind.httpClientError, `${url.href}: Content-Encoding ${encoding} is not supported (gzip is)`);
    }
    const counted = { bytes: 0 };
    const gunzips = [encoding === 'gzip' || encoding === 'x-gzip', gzipFile].filter(Boolean).map(() => createGunzip());
    const wire = capped(response.body, url.href, config.feeds.maxBytes, counted);
    // pipeline, not pipe: every stage has an error listener, and an error anywhere (the cap, a bad
    // gzip, the deadline) destroys the whole chain with it, so reading the last stage throws it.
    // What the gunzips yield is capped at MAX_UPLOAD_BYTES by the spool, as uploads are.
    const inflated: AsyncIterable<Uint8Array> =
      gunzips.length === 0 ? wire : (pipeline([Readable.from(wire), ...gunzips], () => undefined) as unknown as Readable);
    const file = await spoolToTempFile(inflated, config.limits.maxUploadBytes);
    try {
      return {
        notModified: false,
        httpStatus: response.statusCode,
        wireBytes: counted.bytes,
        content: await hashFile(file),
        fileName,
        etag: header(response.headers, 'etag'),
        lastModified: header(response.headers, 'last-modified'),
        finalUrl: url.href,
        remove: file.remove,
      };
    } catch (error) {
      await file.remove();
      throw error;
    }
  }

  async function fetchFeed(url: string, request: FeedRequest): Promise<FetchedFeed | FeedNotModified> {
    let first: URL;
    try {
      first = checkUrl(url, config.fetch);
    } catch (error) {
      throw asFeedError(url, error, config);
    }
    let current = first;
    const ownDeadline = AbortSignal.timeout(config.feeds.responseTimeoutMs);
    const tickDeadline = request.deadline === undefined ? undefined : AbortSignal.timeout(Math.max(0, request.deadline - Date.now()));
    const deadline = tickDeadline ? AbortSignal.any([ownDeadline, tickDeadline]) : ownDeadline;
    for (let redirects = 0; ; redirects++) {
      const secretHeaders = current.origin === first.origin ? request.headers : {};
      try {
        const response = await agent.request({
          origin: current.origin,
          path: `${current.pathname}${current.search}`,
          method: 'GET',
          headers: {
            'user-agent': config.fetch.userAgent,
            accept: 'text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, */*;q=0.5',
            'accept-encoding': 'gzip',
            ...(request.validators.etag ? { 'if-none-match': request.validators.etag } : {}),
            ...(request.validators.lastModified ? { 'if-modified-since': request.validators.lastModified } : {}),
            ...secretHeaders,
          },
          signal: deadline,
        });
        const { statusCode } = response;
        const location = header(response.headers, 'location');
        if (statusCode === 304 && (request.validators.etag || request.validators.lastModified)) {
          await response.body.dump().catch(() => undefined);
          return { notModified: true, httpStatus: 304, finalUrl: current.href };
        }
        if (redirectStatuses.has(statusCode) && location) {
          await response.body.dump().catch(() => undefined);
          if (redirects >= config.fetch.maxRedirects) {
            throw new FeedError(FeedErrorKind.tooManyRedirects, `${url}: more than ${config.fetch.maxRedirects} redirects`);
          }
          const next = URL.parse(location, current.href);
          if (!next) throw new FeedError(FeedErrorKind.badUrl, `${current.href}: redirect to an invalid URL ${location}`);
          current = checkUrl(next.href, config.fetch);
          continue;
        }
        if (statusCode < 200 || statusCode >= 300) {
          await response.body.dump().catch(() => undefined);
          throw statusError(current.href, statusCode);
        }
        return await body(current, response);
      } catch (error) {
        throw asFeedError(current.href, error, config, { response: ownDeadline, tick: tickDeadline });
      }
    }
  }

  return { fetch: fetchFeed, close: () => agent.close() };
}
