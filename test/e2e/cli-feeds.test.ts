import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureCdn, startFixtureCdn } from '../../src/local/fixture-cdn.ts';
import { runCli, runCliJson } from '../helpers/cli.ts';
import { buildCsv } from '../helpers/spreadsheets.ts';

describe('CLI supplier feeds, as separate processes on one DATA_DIR', () => {
  let dataDir: string;
  let cdn: FixtureCdn;

  const cli = (...args: string[]) => runCli(dataDir, args);
  const json = (...args: string[]) => runCliJson(dataDir, args);

  beforeAll(async () => {
    cdn = await startFixtureCdn();
    dataDir = await mkdtemp(join(tmpdir(), 'catalog-cli-feeds-'));
    // The CLI reads .env from its working directory: the fixture server's port, and the feed's token.
    await writeFile(join(dataDir, '.env'), `FETCH_ALLOW_HOSTS=${new URL(cdn.baseUrl).host}\nFEED_SECRET_SHOP_TOKEN=Bearer shop-token\n`);
    cdn.set('/shop/catalog.csv', {
      body: Buffer.from(buildCsv([['SKU', 'Title'], ['S-1', 'Lamp']])),
      contentType: 'text/csv',
      requireHeaders: { authorization: 'Bearer shop-token' },
    });
  });
  afterAll(async () => {
    await cdn?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('supplier set takes the feed settings; supplier fetch imports, then says unchanged; run imports it; status shows the feed', { timeout: 300_000 }, async () => {
    const set = await json(
      'supplier', 'set', 'shop',
      '--feed-url', cdn.url('/shop/catalog.csv'),
      '--feed-interval', '24h',
      '--feed-header', 'Authorization=FEED_SECRET_SHOP_TOKEN',
    );
    expect(set.supplier).toMatchObject({
      feedUrl: cdn.url('/shop/catalog.csv'),
      feedIntervalSeconds: 86_400,
      feedEnabled: true,
      feedHeaders: { Authorization: 'FEED_SECRET_SHOP_TOKEN' },
    });
    const refused = await cli('supplier', 'set', 'shop', '--feed-header', 'Authorization=Bearer shop-token');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--feed-header');

    expect(await json('supplier', 'fetch', 'shop')).toMatchObject({ supplier: 'shop', outcome: 'imported', httpStatus: 200 });
    expect(await json('supplier', 'fetch', 'shop')).toMatchObject({ outcome: 'unchanged', reason: 'not_modified' });
    const run = await json('run');
    expect(run.feeds).toEqual([]); // fetched a moment ago: not due for a day
    expect(run.imports).toMatchObject([{ status: 'done', rowsImported: 1 }]);

    await json('supplier', 'set', 'shop', '--feed', 'off');
    cdn.setFault('/shop/catalog.csv', 'status500');
    const failed = await cli('supplier', 'fetch', 'shop');
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim().split('\n')).toEqual([expect.stringContaining('http_5xx')]);
    const status = await json('status');
    expect(status.feeds).toMatchObject([{ supplier: 'shop', enabled: false, failuresInRow: 1, lastFetch: { outcome: 'failed', httpStatus: 500 } }]);
    expect((await cli('status')).stderr).toContain('failed (1 in a row)');
    expect((await cli('supplier', 'show', 'shop')).stderr).toContain('feed state:      failing, 1 in a row; next attempt off');

    // Back on: one failure is retried at the next tick; fetch now again makes it two, an interval (24h) away.
    await json('supplier', 'set', 'shop', '--feed', 'on');
    expect((await json('status')).feeds).toMatchObject([{ supplier: 'shop', failuresInRow: 1, nextAttemptAt: expect.any(String) }]);
    const again = await cli('supplier', 'fetch', 'shop');
    expect(again.stderr).toMatch(/failed \(http_5xx\).*; 2 in a row, the tick tries again \d{4}-\d\d-\d\dT/);
    const [feed] = (await json('status')).feeds;
    expect(Date.parse(feed.nextAttemptAt) - Date.parse(feed.lastFetch.at)).toBe(86_400_000);
    expect((await cli('status')).stderr).toContain(feed.nextAttemptAt);
  });
});
