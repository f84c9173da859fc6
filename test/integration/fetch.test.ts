import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { convertToWebp } from '../../src/images/convert.ts';
import { ErrorKind, ImageError } from '../../src/images/errors.ts';
import { createImageFetcher, type ImageFetcher } from '../../src/images/fetch.ts';
import { startFixtureCdn, type Fault, type FixtureCdn } from '../../src/local/fixture-cdn.ts';
import { testImages } from '../helpers/images.ts';

const env = {
  FETCH_ALLOW_HOSTS: '127.0.0.1',
  FETCH_MAX_BYTES: String(64 * 1024),
  FETCH_HEADERS_TIMEOUT_MS: '300',
  FETCH_BODY_TIMEOUT_MS: '2000',
  FETCH_RESPONSE_TIMEOUT_MS: '500',
  FETCH_MAX_REDIRECTS: '3',
  FETCH_PER_HOST_CONCURRENCY: '2',
  FETCH_USER_AGENT: 'catalog-importer-test/1.0',
};
const config = loadConfig(env);

let cdn: FixtureCdn;
let fetcher: ImageFetcher;
let jpeg: Buffer;

beforeAll(async () => {
  cdn = await startFixtureCdn();
  fetcher = createImageFetcher(config.fetch);
  jpeg = await testImages.jpeg();
});

afterAll(async () => {
  await cdn.close();
  await fetcher.close();
});

async function failure(url: string, using: ImageFetcher = fetcher): Promise<ImageError> {
  const error = await using.download(url).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ImageError);
  return error as ImageError;
}

describe('image fetcher against the fixture CDN', () => {
  it('downloads an image once, with its type and etag, sending our User-Agent', async () => {
    cdn.set('/ok.jpg', { body: jpeg, headers: { etag: '"v1"' } });
    const result = await fetcher.download(cdn.url('/ok.jpg'));
    expect(result).toEqual({ body: jpeg, contentType: 'image/jpeg', etag: '"v1"', finalUrl: cdn.url('/ok.jpg') });
    expect(cdn.hits('/ok.jpg')).toBe(1);
    expect(cdn.lastHeaders('/ok.jpg')).toMatchObject({ 'user-agent': 'catalog-importer-test/1.0', accept: 'image/*' });
  });

  it('follows redirects and reports the final URL', async () => {
    cdn.set('/final.jpg', { body: jpeg });
    cdn.set('/moved.jpg', { body: Buffer.alloc(0), status: 301, headers: { location: '/final.jpg' } });
    const result = await fetcher.download(cdn.url('/moved.jpg'));
    expect(result.finalUrl).toBe(cdn.url('/final.jpg'));
    expect(result.body).toEqual(jpeg);
  });

  it.each<[Fault, ErrorKind, boolean, number | undefined]>([
    ['status404', ErrorKind.httpClientError, false, undefined],
    ['status500', ErrorKind.httpServerError, true, undefined],
    ['status503RetryAfter', ErrorKind.httpServerError, true, 1],
    ['status429', ErrorKind.rateLimited, true, 1],
    ['timeout', ErrorKind.timeout, true, undefined],
    ['reset', ErrorKind.network, true, undefined],
    ['slowDrip', ErrorKind.timeout, true, undefined],
    ['truncated', ErrorKind.network, true, undefined],
    ['redirectLoop', ErrorKind.tooManyRedirects, false, undefined],
  ])('%s fails as %s (transient: %s, retry after: %s)', async (fault, kind, transient, retryAfterSeconds) => {
    const path = `/fault-${fault}.jpg`;
    cdn.setFault(path, fault);
    const error = await failure(cdn.url(path));
    expect(error).toMatchObject({ kind, transient, retryAfterSeconds });
    expect(error.message).toContain(cdn.url(path));
  });

  it('names the limit that was hit', async () => {
    // Each limit alone, so the message cannot come from whichever timer happens to fire first.
    const patientOverall = createImageFetcher(loadConfig({ ...env, FETCH_RESPONSE_TIMEOUT_MS: '10000' }).fetch);
    cdn.setFault('/drip.jpg', 'slowDrip');
    cdn.setFault('/hang.jpg', 'timeout');
    try {
      expect((await failure(cdn.url('/drip.jpg'))).message).toBe(
        `${cdn.url('/drip.jpg')}: no complete response within 500 ms`,
      );
      expect((await failure(cdn.url('/hang.jpg'), patientOverall)).message).toBe(
        `${cdn.url('/hang.jpg')}: no response headers within 300 ms`,
      );
    } finally {
      await patientOverall.close();
    }
  });

  it('reads Retry-After given as an HTTP date', async () => {
    const now = Date.parse('2026-11-02T10:00:00Z');
    const clocked = createImageFetcher(config.fetch, { now: () => now });
    cdn.set('/busy.jpg', { body: Buffer.from('busy'), status: 503, headers: { 'retry-after': 'Mon, 02 Nov 2026 10:02:00 GMT' } });
    try {
      expect(await failure(cdn.url('/busy.jpg'), clocked)).toMatchObject({ kind: ErrorKind.httpServerError, retryAfterSeconds: 120 });
    } finally {
      await clocked.close();
    }
  });

  it('treats 408 as transient and 410 as permanent', async () => {
    cdn.set('/408.jpg', { body: Buffer.alloc(0), status: 408 });
    cdn.set('/410.jpg', { body: Buffer.alloc(0), status: 410 });
    expect(await failure(cdn.url('/408.jpg'))).toMatchObject({ kind: ErrorKind.httpServerError, transient: true });
    expect(await failure(cdn.url('/410.jpg'))).toMatchObject({ kind: ErrorKind.httpClientError, transient: false });
  });

  it('stops following after maxRedirects hops', async () => {
    for (let i = 0; i < 5; i++) {
      cdn.set(`/hop${i}.jpg`, { body: Buffer.alloc(0), status: 302, headers: { location: `/hop${i + 1}.jpg` } });
    }
    cdn.set('/hop5.jpg', { body: jpeg });
    const error = await failure(cdn.url('/hop0.jpg'));
    expect(error).toMatchObject({ kind: ErrorKind.tooManyRedirects, message: `${cdn.url('/hop0.jpg')}: more than 3 redirects` });
    expect(cdn.hits('/hop4.jpg')).toBe(0);
  });

  it('blocks a redirect to the metadata address even with the CDN host allowed', async () => {
    cdn.setFault('/to-metadata.jpg', { redirectTo: 'http://169.254.169.254/latest/meta-data/iam/' });
    const error = await failure(cdn.url('/to-metadata.jpg'));
    expect(error).toMatchObject({ kind: ErrorKind.blockedAddress, transient: false });
    expect(error.message).toContain('169.254.169.254 is not a public address');
  });

  it('blocks a redirect to another loopback port outside the allow-list', async () => {
    cdn.setFault('/to-redis.jpg', { redirectTo: 'http://127.0.0.2:6379/' });
    expect(await failure(cdn.url('/to-redis.jpg'))).toMatchObject({ kind: ErrorKind.blockedAddress });
  });

  it('refuses the fixture CDN itself without the allow-list: it is loopback', async () => {
    const strict = createImageFetcher(loadConfig({ ...env, FETCH_ALLOW_HOSTS: '', FETCH_ALLOWED_PORTS: cdn.baseUrl.split(':')[2] }).fetch);
    cdn.set('/private.jpg', { body: jpeg });
    try {
      const error = await failure(cdn.url('/private.jpg'), strict);
      expect(error).toMatchObject({ kind: ErrorKind.blockedAddress, message: `${cdn.url('/private.jpg')}: 127.0.0.1 is not a public address` });
      expect(cdn.hits('/private.jpg')).toBe(0);
      // A name is checked at connect time, on the addresses the socket would use.
      const byName = await failure(cdn.url('/private.jpg').replace('127.0.0.1', 'localhost'), strict);
      expect(byName).toMatchObject({ kind: ErrorKind.blockedAddress });
      expect(byName.message).toMatch(/^localhost resolves to .*, which is not a public address$/);
      expect(cdn.hits('/private.jpg')).toBe(0);
    } finally {
      await strict.close();
    }
  });

  it('refuses a body over maxBytes from its Content-Length, before reading it', async () => {
    cdn.set('/huge.jpg', { body: Buffer.alloc(64 * 1024 + 1) });
    const error = await failure(cdn.url('/huge.jpg'));
    expect(error).toMatchObject({ kind: ErrorKind.tooLarge, transient: false });
    expect(error.message).toBe(`${cdn.url('/huge.jpg')}: Content-Length 65537 exceeds 65536 bytes`);
  });

  it('stops streaming a body without Content-Length once it passes maxBytes', async () => {
    cdn.set('/chunked.jpg', { body: Buffer.alloc(256 * 1024), chunked: true });
    const error = await failure(cdn.url('/chunked.jpg'));
    expect(error).toMatchObject({ kind: ErrorKind.tooLarge, message: `${cdn.url('/chunked.jpg')}: body exceeds 65536 bytes` });
  });

  it('reports a refused connection as a transient network error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(`http://127.0.0.1:${port}/gone.jpg`);
    expect(error).toMatchObject({ kind: ErrorKind.network, transient: true });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('refuses non-http URLs before any request', async () => {
    expect(await failure('file:///etc/passwd')).toMatchObject({ kind: ErrorKind.badUrl });
  });

  it('holds at most perHostConcurrency requests open against one host', async () => {
    cdn.set('/slow.jpg', { body: jpeg, delayMs: 100 });
    const before = cdn.peakConcurrency();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => fetcher.download(cdn.url(`/slow.jpg?i=${i}`))));
    expect(results.every((r) => r.body.equals(jpeg))).toBe(true);
    expect(cdn.hits('/slow.jpg')).toBe(6);
    expect(before).toBeLessThanOrEqual(2);
    expect(cdn.peakConcurrency()).toBe(2);
  });
});

describe('what the fixture CDN serves converts as the bytes say', () => {
  it('converts an image served as text/html', async () => {
    cdn.set('/mislabelled.jpg', { body: jpeg });
    cdn.setFault('/mislabelled.jpg', 'wrongContentType');
    const { body, contentType } = await fetcher.download(cdn.url('/mislabelled.jpg'));
    expect(contentType).toBe('text/html');
    expect(await convertToWebp(body, config.image)).toMatchObject({ sourceFormat: 'jpeg', width: 320, height: 240 });
  });

  it('refuses an HTML page served as image/jpeg', async () => {
    cdn.setFault('/page.jpg', 'notAnImage');
    const { body, contentType } = await fetcher.download(cdn.url('/page.jpg'));
    expect(contentType).toBe('image/jpeg');
    await expect(convertToWebp(body, config.image)).rejects.toMatchObject({ kind: ErrorKind.notAnImage });
  });

  it('refuses a pixel bomb from its header', async () => {
    cdn.setFault('/bomb.png', 'pixelBomb');
    const { body } = await fetcher.download(cdn.url('/bomb.png'));
    expect(body.length).toBeLessThan(64 * 1024);
    await expect(convertToWebp(body, config.image)).rejects.toMatchObject({
      kind: ErrorKind.tooManyPixels,
      message: 'png is 20000×20000 (400000000 pixels), over the limit of 50000000',
    });
  });
});
