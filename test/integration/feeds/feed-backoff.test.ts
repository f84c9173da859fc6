import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStatus } from '../../../src/admin/status.ts';
import { showSupplier } from '../../../src/admin/suppliers/show-supplier.ts';
import { updateSupplierSettings } from '../../../src/admin/suppliers/update-supplier-settings.ts';
import type { AppContext } from '../../../src/context.ts';
import { fetchFeedNow } from '../../../src/feeds/fetch-due-feeds.ts';
import { FaultMode, type FixtureCdn, startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import { runTick } from '../../../src/scheduled/run-tick.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { buildCsv } from '../../helpers/spreadsheets.ts';

const minute = 60_000;
const hour = 60 * minute;

// A supplier's server that keeps answering 500, fetched by ticks on a clock the test moves: each
// failure in a row puts the next attempt further off, up to FEED_BACKOFF_MAX; fetch now ignores it.
describe('a failing feed backs off', () => {
  let cdn: FixtureCdn;
  let env: TestEnvironment;
  let ctx: AppContext;
  const start = Date.parse('2026-12-01T08:00:00Z');
  let clock = start;
  const at = () => ({ ...ctx, now: () => new Date(clock) });
  /** Ticks at `clock`, and says whether this supplier's feed was fetched. */
  const tickFetches = async (code: string) => (await runTick(at(), 'manual')).feeds.some((f) => f.supplier === code);
  const feedState = async (code: string) => {
    const { rows } = await ctx.pool.query<{ failures: number; retryAt: Date | null }>(
      `SELECT feed_failures_in_row AS failures, feed_retry_at AS "retryAt" FROM suppliers WHERE code = $1`,
      [code],
    );
    return rows[0]!;
  };

  beforeAll(async () => {
    cdn = await startFixtureCdn();
    env = await startTestEnvironment({ FETCH_ALLOW_HOSTS: new URL(cdn.baseUrl).host, FEED_BACKOFF_MAX: '12h' });
    ctx = env.ctx;
  });
  afterAll(async () => {
    await env?.stop();
    await cdn?.close();
  });

  it('retries at the next tick after one failure, then waits its interval doubled per failure in a row, capped at FEED_BACKOFF_MAX', async () => {
    cdn.setFault('/down/catalog.csv', FaultMode.status500);
    await updateSupplierSettings(ctx, 'down', { feedUrl: cdn.url('/down/catalog.csv'), feedIntervalSeconds: 3600 });

    const waits: number[] = [];
    for (let failure = 1; failure <= 6; failure += 1) {
      const fetchedAt = clock;
      expect(await tickFetches('down'), `failure ${failure}`).toBe(true);
      const { failures, retryAt } = await feedState('down');
      expect(failures).toBe(failure);
      const wait = retryAt!.getTime() - fetchedAt;
      waits.push(wait);
      // Not a moment sooner: a tick just before the retry time leaves the feed alone.
      clock = fetchedAt + Math.max(wait - minute, 0);
      if (wait > minute) expect(await tickFetches('down'), `before retry ${failure}`).toBe(false);
      clock = fetchedAt + Math.max(wait, minute);
    }
    expect(waits).toEqual([0, 1 * hour, 2 * hour, 4 * hour, 8 * hour, 12 * hour]);
    expect(cdn.hits('/down/catalog.csv')).toBe(6);

    const status = await getStatus(at(), { supplier: 'down' });
    expect(status.feeds).toMatchObject([{ supplier: 'down', failuresInRow: 6, nextAttemptAt: (await feedState('down')).retryAt, lastFetch: { outcome: 'failed', httpStatus: 500 } }]);
    expect(await showSupplier(ctx, 'down')).toMatchObject({ feedFailuresInRow: 6, feedNextAttemptAt: (await feedState('down')).retryAt });
  });

  it('fetch now ignores the backoff; a success ends it and puts the feed back on its interval', async () => {
    clock = (await feedState('down')).retryAt!.getTime() - 11 * hour;
    expect(await tickFetches('down')).toBe(false);

    const failed = await fetchFeedNow(at(), 'down');
    expect(failed).toMatchObject({ outcome: 'failed', errorKind: 'http_5xx', failuresInRow: 7, nextAttemptAt: new Date(clock + 12 * hour) });

    cdn.set('/down/catalog.csv', { body: Buffer.from(buildCsv([['SKU', 'Title'], ['D1', 'Drill']])), contentType: 'text/csv' });
    expect(await fetchFeedNow(at(), 'down')).toMatchObject({ outcome: 'imported' });
    expect(await feedState('down')).toEqual({ failures: 0, retryAt: null });
    const [report] = (await getStatus(at(), { supplier: 'down' })).feeds;
    expect(report).toMatchObject({ failuresInRow: 0, nextAttemptAt: new Date(clock + hour) });

    clock += 30 * minute;
    expect(await tickFetches('down')).toBe(false); // within its interval
    clock += 30 * minute;
    expect(await tickFetches('down')).toBe(true);
  });

  it('a fetch cut off by our own deadline is recorded but neither counts toward the backoff nor ends it', async () => {
    cdn.setFault('/slow/catalog.csv', FaultMode.status500);
    await updateSupplierSettings(ctx, 'slow', { feedUrl: cdn.url('/slow/catalog.csv'), feedIntervalSeconds: 3600 });
    expect(await tickFetches('slow')).toBe(true);
    clock += minute;
    expect(await tickFetches('slow')).toBe(true);
    const backedOff = await feedState('slow');
    expect(backedOff).toMatchObject({ failures: 2 });

    // The supplier now answers, but slower than fetch now's budget: our deadline, not its failure.
    cdn.setFault('/slow/catalog.csv', FaultMode.timeout);
    const cut = await fetchFeedNow(at(), 'slow', { deadline: Date.now() + 300 });
    expect(cut).toMatchObject({ outcome: 'failed', errorKind: 'timeout', ours: true });
    expect(cut).not.toHaveProperty('failuresInRow');
    expect(await feedState('slow')).toEqual(backedOff);
    const { rows } = await ctx.pool.query(`SELECT outcome, error_kind FROM feed_fetches f JOIN suppliers s ON s.id = f.supplier_id WHERE s.code = 'slow' ORDER BY f.id`);
    expect(rows.map((r) => `${r.outcome}:${r.error_kind}`)).toEqual(['failed:http_5xx', 'failed:http_5xx', 'failed:timeout']);
  });

  it('a feed fetched every tick backs off from an hour; a new URL starts clean and is due at once', async () => {
    cdn.setFault('/often/catalog.csv', FaultMode.status500);
    await updateSupplierSettings(ctx, 'often', { feedUrl: cdn.url('/often/catalog.csv') });

    expect(await tickFetches('often')).toBe(true);
    clock += minute;
    const second = clock;
    expect(await tickFetches('often')).toBe(true);
    clock += minute;
    expect(await tickFetches('often')).toBe(false);
    expect((await feedState('often')).retryAt!.getTime() - second).toBe(hour);

    cdn.set('/often/v2.csv', { body: Buffer.from(buildCsv([['SKU', 'Title'], ['O1', 'Oar']])), contentType: 'text/csv' });
    await updateSupplierSettings(ctx, 'often', { feedUrl: cdn.url('/often/v2.csv') });
    expect(await feedState('often')).toEqual({ failures: 0, retryAt: null });
    expect(await tickFetches('often')).toBe(true);
  });
});
