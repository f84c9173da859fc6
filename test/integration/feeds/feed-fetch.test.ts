import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStatus } from '../../../src/admin/status.ts';
import { updateSupplierSettings } from '../../../src/admin/suppliers/update-supplier-settings.ts';
import type { AppContext } from '../../../src/context.ts';
import type { SupplierSettingsChange } from '../../../src/admin/suppliers/supplier-settings.ts';
import { claimFeedOf } from '../../../src/feeds/claim-feed.ts';
import { fetchFeedNow } from '../../../src/feeds/fetch-due-feeds.ts';
import { createFeedFetcher } from '../../../src/feeds/fetch-feed.ts';
import { type FeedFetchResult, fetchSupplierFeed } from '../../../src/feeds/fetch-supplier-feed.ts';
import { FaultMode, type FixtureCdn, startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import { runTick } from '../../../src/scheduled/run-tick.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { buildCsv } from '../../helpers/spreadsheets.ts';

const day = 86_400_000;

describe('supplier feeds fetched by the tick from a fixture feed server', () => {
  let cdn: FixtureCdn;
  let env: TestEnvironment;
  let ctx: AppContext;
  let clock = Date.now();
  /** The tick as it runs `days` later: every feed is due again. */
  const tickAfter = (days: number) => {
    clock += days * day;
    return runTick({ ...ctx, now: () => new Date(clock) }, 'manual');
  };
  const csv = (rows: string[][]) => Buffer.from(buildCsv([['SKU', 'Title'], ...rows]));
  const setFeed = (code: string, path: string, change: SupplierSettingsChange = {}) =>
    updateSupplierSettings(ctx, code, { feedUrl: cdn.url(path), ...change });
  const titles = async (code: string) =>
    (
      await ctx.pool.query<{ sku: string; title: string }>(
        `SELECT p.sku, p.title FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = $1 ORDER BY p.sku`,
        [code],
      )
    ).rows.map((r) => `${r.sku}:${r.title}`);
  const fetchesOf = async (code: string) =>
    (
      await ctx.pool.query(
        `SELECT f.outcome, f.http_status AS "httpStatus", f.import_id AS "importId", f.error_kind AS "errorKind", f.bytes::int AS bytes
           FROM feed_fetches f JOIN suppliers s ON s.id = f.supplier_id WHERE s.code = $1 ORDER BY f.id`,
        [code],
      )
    ).rows;
  const bySupplier = (results: FeedFetchResult[]) => Object.fromEntries(results.map((r) => [r.supplier, r]));

  beforeAll(async () => {
    cdn = await startFixtureCdn();
    env = await startTestEnvironment({
      FETCH_ALLOW_HOSTS: new URL(cdn.baseUrl).host,
      FETCH_HEADERS_TIMEOUT_MS: '500',
      FEED_MAX_BYTES: String(64 * 1024),
      MAX_UPLOAD_BYTES: String(256 * 1024),
      FEED_SECRET_ACME_TOKEN: 'Bearer acme-s3cr3t',
    });
    ctx = env.ctx;
  });
  afterAll(async () => {
    await env?.stop();
    await cdn?.close();
  });

  it('imports a new feed, skips it when the server answers 304, imports it again when the file changes, and records each fetch', async () => {
    cdn.set('/acme/catalog.csv', { body: csv([['A1', 'Anvil'], ['A2', 'Rocket']]), contentType: 'text/csv', requireHeaders: { authorization: 'Bearer acme-s3cr3t' } });
    await setFeed('acme', '/acme/catalog.csv', { feedHeaders: { Authorization: 'FEED_SECRET_ACME_TOKEN' } });

    const first = await tickAfter(0);
    expect(first.feeds).toMatchObject([{ supplier: 'acme', outcome: 'imported', httpStatus: 200 }]);
    const firstImport = (first.feeds[0] as { importId: number }).importId;
    expect(first.imports).toMatchObject([{ importId: firstImport, status: 'done' }]);
    expect(await titles('acme')).toEqual(['A1:Anvil', 'A2:Rocket']);
    const { rows: stored } = await ctx.pool.query(`SELECT source_key, file_name FROM imports WHERE id = $1`, [firstImport]);
    expect(stored[0]).toMatchObject({ file_name: 'catalog.csv', source_key: expect.stringMatching(/^uploads\/acme\/.*-catalog\.csv$/) });

    expect((await runTick({ ...ctx, now: () => new Date(clock) }, 'manual')).feeds).toEqual([]); // not due again yet

    const second = await tickAfter(1);
    expect(second.feeds).toMatchObject([{ supplier: 'acme', outcome: 'unchanged', reason: 'not_modified', httpStatus: 304 }]);
    expect(cdn.lastHeaders('/acme/catalog.csv')?.['if-none-match']).toMatch(/^"/);
    expect(second.imports).toEqual([]);

    cdn.set('/acme/catalog.csv', { body: csv([['A1', 'Anvil XL'], ['A2', 'Rocket']]), contentType: 'text/csv', requireHeaders: { authorization: 'Bearer acme-s3cr3t' } });
    const third = await tickAfter(1);
    expect(third.feeds).toMatchObject([{ supplier: 'acme', outcome: 'imported' }]);
    expect(third.imports.map((i) => i.status)).toEqual(['done']);
    expect(await titles('acme')).toEqual(['A1:Anvil XL', 'A2:Rocket']);

    expect(await fetchesOf('acme')).toEqual([
      { outcome: 'imported', httpStatus: 200, importId: firstImport, errorKind: null, bytes: expect.any(Number) },
      { outcome: 'unchanged', httpStatus: 304, importId: null, errorKind: null, bytes: 0 },
      { outcome: 'imported', httpStatus: 200, importId: (third.feeds[0] as { importId: number }).importId, errorKind: null, bytes: expect.any(Number) },
    ]);
  });

  it('validates by Last-Modified alone, and the same bytes under a new date make no import', async () => {
    const body = csv([['L1', 'Lamp']]);
    cdn.set('/lm/feed.csv', { body, contentType: 'text/csv', noEtag: true, lastModified: 'Mon, 30 Nov 2026 08:00:00 GMT' });
    await setFeed('lastmod', '/lm/feed.csv');
    expect(await fetchFeedNow(ctx, 'lastmod')).toMatchObject({ outcome: 'imported' });
    expect(await fetchFeedNow(ctx, 'lastmod')).toMatchObject({ outcome: 'unchanged', reason: 'not_modified' });
    expect(cdn.lastHeaders('/lm/feed.csv')?.['if-modified-since']).toBe('Mon, 30 Nov 2026 08:00:00 GMT');

    cdn.set('/lm/feed.csv', { body, contentType: 'text/csv', noEtag: true, lastModified: 'Tue, 01 Dec 2026 08:00:00 GMT' });
    expect(await fetchFeedNow(ctx, 'lastmod')).toMatchObject({ outcome: 'unchanged', reason: 'same_content', httpStatus: 200 });
    const { rows } = await ctx.pool.query(`SELECT count(*)::int AS n FROM imports i JOIN suppliers s ON s.id = i.supplier_id WHERE s.code = 'lastmod'`);
    expect(rows[0].n).toBe(1);
  });

  it('reads gzip bodies, by Content-Encoding or as a .csv.gz file, and refuses one that inflates past MAX_UPLOAD_BYTES', async () => {
    cdn.set('/gz/encoded.csv', { body: gzipSync(csv([['G1', 'Gear']])), contentType: 'text/csv', headers: { 'content-encoding': 'gzip' } });
    cdn.set('/gz/file.csv.gz', { body: gzipSync(csv([['Z1', 'Zip']])), contentType: 'application/gzip' });
    // 10 KB on the wire, 10 MB inflated.
    cdn.set('/gz/bomb.csv.gz', { body: gzipSync(Buffer.concat([Buffer.from('SKU,Title\n'), Buffer.alloc(10 * 1024 * 1024, 'a')])), contentType: 'application/gzip' });
    cdn.set('/gz/garbage.csv.gz', { body: Buffer.from('this is not gzip at all'), contentType: 'application/gzip' });
    await setFeed('gz-encoded', '/gz/encoded.csv');
    await setFeed('gz-file', '/gz/file.csv.gz');
    await setFeed('gz-bomb', '/gz/bomb.csv.gz');
    await setFeed('gz-garbage', '/gz/garbage.csv.gz');

    const tick = await tickAfter(1);
    const feeds = bySupplier(tick.feeds);
    expect(feeds['gz-encoded']).toMatchObject({ outcome: 'imported' });
    expect(feeds['gz-file']).toMatchObject({ outcome: 'imported' });
    expect(feeds['gz-bomb']).toMatchObject({ outcome: 'failed', errorKind: 'too_large', error: expect.stringContaining('MAX_UPLOAD_BYTES') });
    expect(feeds['gz-garbage']).toMatchObject({ outcome: 'failed', errorKind: 'bad_gzip' });
    expect(await titles('gz-encoded')).toEqual(['G1:Gear']);
    expect(await titles('gz-file')).toEqual(['Z1:Zip']);
    const { rows } = await ctx.pool.query(`SELECT file_name FROM imports i JOIN suppliers s ON s.id = i.supplier_id WHERE s.code = 'gz-file'`);
    expect(rows).toEqual([{ file_name: 'file.csv' }]);
  });

  it('refuses a feed URL on a private address, as a literal or by what its name resolves to', async () => {
    await updateSupplierSettings(ctx, 'f-literal', { feedUrl: 'http://10.0.0.7/catalog.csv' });
    expect(await fetchFeedNow(ctx, 'f-literal')).toMatchObject({ outcome: 'failed', errorKind: 'blocked_address', error: expect.stringContaining('10.0.0.7') });
    await updateSupplierSettings(ctx, 'f-rebind', { feedUrl: 'http://feeds.internal.example/catalog.csv' });
    const resolve = async () => [{ address: '10.1.2.3', family: 4 }];
    expect(await fetchFeedNow(ctx, 'f-rebind', { resolve })).toMatchObject({ outcome: 'failed', errorKind: 'blocked_address', error: expect.stringContaining('10.1.2.3') });
    for (const code of ['f-literal', 'f-rebind']) await updateSupplierSettings(ctx, code, { feedEnabled: false });
  });

  it('abandons a fetch at the tick deadline and records it as a timeout', async () => {
    cdn.setFault('/late/catalog.csv', FaultMode.slowDrip);
    await setFeed('late', '/late/catalog.csv');
    const feed = await claimFeedOf(ctx.pool, 'late', new Date(clock));
    const fetcher = createFeedFetcher(ctx.config);
    try {
      const result = await fetchSupplierFeed(ctx, fetcher, feed!, { deadline: Date.now() + 100 });
      expect(result).toMatchObject({ outcome: 'failed', errorKind: 'timeout', error: expect.stringContaining("the tick's time ran out") });
    } finally {
      await fetcher.close();
    }
    await updateSupplierSettings(ctx, 'late', { feedEnabled: false });
  });

  it('records a failing feed with its kind, shows it in status, and still imports the other suppliers', async () => {
    cdn.setFault('/bad/500.csv', FaultMode.status500);
    cdn.setFault('/bad/slow.csv', FaultMode.timeout);
    cdn.set('/bad/huge.csv', { body: Buffer.alloc(200 * 1024, 'x'), contentType: 'text/csv', chunked: true });
    cdn.setFault('/bad/metadata.csv', { redirectTo: 'http://169.254.169.254/latest/meta-data/' });
    cdn.set('/bad/private.csv', { body: csv([['P1', 'Private']]), contentType: 'text/csv', requireHeaders: { authorization: 'Bearer acme-s3cr3t' } });
    cdn.set('/good/catalog.csv', { body: csv([['OK1', 'Fine']]), contentType: 'text/csv' });
    await setFeed('f-500', '/bad/500.csv');
    await setFeed('f-slow', '/bad/slow.csv');
    await setFeed('f-huge', '/bad/huge.csv');
    await setFeed('f-redirect', '/bad/metadata.csv');
    await setFeed('f-noauth', '/bad/private.csv');
    await setFeed('f-nosecret', '/bad/private.csv', { feedHeaders: { Authorization: 'FEED_SECRET_NOT_SET' } });
    await setFeed('good', '/good/catalog.csv');
    await setFeed('off', '/good/catalog.csv', { feedEnabled: false });

    const tick = await tickAfter(1);
    const feeds = bySupplier(tick.feeds);
    expect(feeds).not.toHaveProperty('off');
    expect(feeds['f-500']).toMatchObject({ outcome: 'failed', errorKind: 'http_5xx', httpStatus: 500 });
    expect(feeds['f-slow']).toMatchObject({ outcome: 'failed', errorKind: 'timeout' });
    expect(feeds['f-huge']).toMatchObject({ outcome: 'failed', errorKind: 'too_large', error: expect.stringContaining('FEED_MAX_BYTES') });
    expect(feeds['f-redirect']).toMatchObject({ outcome: 'failed', errorKind: 'blocked_address', error: expect.stringContaining('169.254.169.254') });
    expect(feeds['f-noauth']).toMatchObject({ outcome: 'failed', errorKind: 'http_4xx', httpStatus: 401 });
    expect(feeds['f-nosecret']).toMatchObject({ outcome: 'failed', errorKind: 'missing_secret', error: expect.stringContaining('FEED_SECRET_NOT_SET') });
    expect(feeds.good).toMatchObject({ outcome: 'imported' });
    expect(await titles('good')).toEqual(['OK1:Fine']);
    expect(await fetchesOf('f-500')).toEqual([{ outcome: 'failed', httpStatus: 500, importId: null, errorKind: 'http_5xx', bytes: null }]);

    const status = await getStatus(ctx);
    const reported = Object.fromEntries(status.feeds.map((f) => [f.supplier, f]));
    expect(reported['f-500']).toMatchObject({ failuresInRow: 1, lastFetch: { outcome: 'failed', errorKind: 'http_5xx', httpStatus: 500 } });
    expect(reported.good).toMatchObject({ failuresInRow: 0, lastFetch: { outcome: 'imported' } });
    expect(reported.off).toMatchObject({ enabled: false, lastFetch: null });
    const failing = status.feeds.map((f) => f.lastFetch?.outcome === 'failed');
    expect(failing).toEqual([...failing].sort((a, b) => Number(b) - Number(a))); // failing feeds first

    // A failed feed is due again at the next tick, however long its interval; one that worked is not.
    const retried = bySupplier(await tickAfter(0).then((t) => t.feeds));
    expect(retried).toHaveProperty('f-500');
    expect(retried).not.toHaveProperty('good');
    expect((await getStatus(ctx, { supplier: 'f-500' })).feeds).toMatchObject([{ failuresInRow: 2 }]);
  });

  it('a full-catalog feed discontinues the products it lacks, with the import that removed them, keeps their images, and brings them back', async () => {
    const catalog = (rows: string[][]) => Buffer.from(buildCsv([['SKU', 'Title', 'Image'], ...rows]));
    const f = (sku: string) => [sku, `Item ${sku}`, `https://img.example.test/${sku}.jpg`];
    const serve = (rows: string[][]) => cdn.set('/full/catalog.csv', { body: catalog(rows), contentType: 'text/csv' });
    const products = async () =>
      (
        await ctx.pool.query(
          `SELECT p.sku, p.discontinued_at IS NOT NULL AS discontinued, p.discontinued_by_import_id AS "by",
                  (SELECT count(*)::int FROM product_images pi WHERE pi.product_id = p.id) AS images
             FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = 'full' ORDER BY p.sku`,
        )
      ).rows;
    serve([f('F1'), f('F2'), f('F3')]);
    await setFeed('full', '/full/catalog.csv', { feedFullCatalog: true });
    const first = await tickAfter(1);
    expect(bySupplier(first.feeds).full).toMatchObject({ outcome: 'imported' });
    expect(first.imports).toMatchObject([{ status: 'done', productsDiscontinued: 0 }]);

    serve([f('F1'), f('F3')]);
    const shrunk = await tickAfter(1);
    const removedBy = (bySupplier(shrunk.feeds).full as { importId: number }).importId;
    expect(shrunk.imports).toMatchObject([{ importId: removedBy, status: 'done', productsDiscontinued: 1 }]);
    expect(await products()).toEqual([
      { sku: 'F1', discontinued: false, by: null, images: 1 },
      { sku: 'F2', discontinued: true, by: removedBy, images: 1 },
      { sku: 'F3', discontinued: false, by: null, images: 1 },
    ]);
    const { rows } = await ctx.pool.query(`SELECT products_discontinued FROM imports WHERE id = $1`, [removedBy]);
    expect(rows).toEqual([{ products_discontinued: 1 }]);

    // A row rejected (no SKU here) makes the file's completeness unknowable: nothing is discontinued.
    serve([f('F1'), ['', 'nameless', '']]);
    const partial = await tickAfter(1);
    expect(partial.imports).toMatchObject([{ status: 'done', rowsFailed: 1, productsDiscontinued: 0 }]);
    expect((await products()).filter((p) => p.discontinued).map((p) => p.sku)).toEqual(['F2']);

    serve([f('F1'), f('F2'), f('F3')]);
    const back = await tickAfter(1);
    expect(back.imports).toMatchObject([{ status: 'done', productsDiscontinued: 0 }]);
    expect((await products()).map((p) => [p.sku, p.discontinued, p.images])).toEqual([
      ['F1', false, 1],
      ['F2', false, 1],
      ['F3', false, 1],
    ]);
  });

  it('an upload or a feed that is not a full catalog discontinues nothing', async () => {
    cdn.set('/acme/catalog.csv', { body: csv([['A1', 'Anvil XL']]), contentType: 'text/csv', requireHeaders: { authorization: 'Bearer acme-s3cr3t' } });
    const tick = await tickAfter(1);
    expect(tick.imports.filter((i) => i.status === 'done').map((i) => i.productsDiscontinued)).toEqual([0]);
    const { rows } = await ctx.pool.query(`SELECT count(*)::int AS n FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = 'acme' AND p.discontinued_at IS NOT NULL`);
    expect(rows).toEqual([{ n: 0 }]);
  });
});
