import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateSupplierSettings } from '../../../src/admin/suppliers/update-supplier-settings.ts';
import type { AppContext } from '../../../src/context.ts';
import { fetchFeedNow } from '../../../src/feeds/fetch-due-feeds.ts';
import { type FixtureCdn, startFixtureCdn } from '../../../src/local/fixture-cdn.ts';
import { runTick } from '../../../src/scheduled/run-tick.ts';
import { runtimeSecrets } from '../../../src/secrets/runtime-secrets.ts';
import { startTestEnvironment, type TestEnvironment } from '../../helpers/environment.ts';
import { startSecretsManagerFake } from '../../helpers/secrets-manager-fake.ts';
import { buildCsv } from '../../helpers/spreadsheets.ts';

// Feed header values from one Secrets Manager secret, as the tick and "fetch now" read them on Lambda:
// the real SDK client against the Secrets Manager stand-in, feeds from the fixture server that answers
// 401 to a wrong token, every fetch recorded in the test's own database.
describe('feed header values read from the feed secret at run time', () => {
  let cdn: FixtureCdn;
  let env: TestEnvironment;
  let fake: Awaited<ReturnType<typeof startSecretsManagerFake>>;
  let ctx: AppContext;
  let clock = 1_000_000;

  const csv = (sku: string) => Buffer.from(buildCsv([['SKU', 'Title'], [sku, 'Lamp']]));
  const behindToken = (path: string, token: string, sku = 'S-1') =>
    cdn.set(path, { body: csv(sku), contentType: 'text/csv', requireHeaders: { authorization: token } });
  const fetchesOf = async (code: string) =>
    (
      await ctx.pool.query(
        `SELECT f.outcome, f.http_status AS "httpStatus", f.error_kind AS "errorKind", f.error FROM feed_fetches f JOIN suppliers s ON s.id = f.supplier_id
          WHERE s.code = $1 ORDER BY f.id`,
        [code],
      )
    ).rows;
  const secretReads = () => fake.requests.filter((r) => r.secretId === 'prod/feeds').length;

  beforeAll(async () => {
    cdn = await startFixtureCdn();
    fake = await startSecretsManagerFake({ 'prod/feeds': JSON.stringify({ FEED_SECRET_ACME_TOKEN: 'Bearer acme-one', FEED_SECRET_LOCAL: 'Bearer from-the-secret' }) });
    env = await startTestEnvironment({
      FETCH_ALLOW_HOSTS: new URL(cdn.baseUrl).host,
      FEED_SECRETS_SECRET_ID: 'prod/feeds',
      FEED_SECRET_LOCAL: 'Bearer from-the-variable',
    });
    // What lazyLambdaContext builds from the template's FEED_SECRETS_SECRET_ID, with the stand-in's client and a clock.
    ctx = { ...env.ctx, feedSecrets: runtimeSecrets(env.ctx.config, { client: fake.client, now: () => clock }).feedSecrets };
  });
  afterAll(async () => {
    await env?.stop();
    await fake?.close();
    await cdn?.close();
  });

  it('sends the value the secret holds under the name the header stores, reading the secret once while it is fresh', async () => {
    behindToken('/acme/catalog.csv', 'Bearer acme-one');
    await updateSupplierSettings(ctx, 'acme', { feedUrl: cdn.url('/acme/catalog.csv'), feedHeaders: { Authorization: 'FEED_SECRET_ACME_TOKEN' } });

    const tick = await runTick({ ...ctx, now: () => new Date(clock) }, 'manual');

    expect(tick.feeds).toMatchObject([{ supplier: 'acme', outcome: 'imported', httpStatus: 200 }]);
    expect(await fetchesOf('acme')).toMatchObject([{ outcome: 'imported' }]);
    expect(await fetchFeedNow(ctx, 'acme')).toMatchObject({ outcome: 'unchanged' });
    expect(secretReads()).toBe(1);
  });

  it('takes a rotated value at once: the supplier refuses the cached one, the secret is read again and the GET sent once more', async () => {
    fake.secrets.set('prod/feeds', JSON.stringify({ FEED_SECRET_ACME_TOKEN: 'Bearer acme-two', FEED_SECRET_LOCAL: 'Bearer from-the-secret' }));
    behindToken('/acme/catalog.csv', 'Bearer acme-two', 'S-2');
    clock += 60_000; // well within SECRETS_CACHE_TTL_SECONDS (300): only the refusal makes it read again
    const hitsBefore = cdn.hits('/acme/catalog.csv');

    const result = await fetchFeedNow(ctx, 'acme');

    expect(result).toMatchObject({ outcome: 'imported', httpStatus: 200 });
    expect(cdn.lastHeaders('/acme/catalog.csv')?.authorization).toBe('Bearer acme-two');
    expect(cdn.hits('/acme/catalog.csv') - hitsBefore).toBe(2);
    expect(secretReads()).toBe(2);
    expect((await fetchesOf('acme')).map((f) => f.outcome)).toEqual(['imported', 'unchanged', 'imported']); // one record per fetch
  });

  it('records the refusal when the secret, read again, holds the same value, and does not send it twice', async () => {
    behindToken('/acme/catalog.csv', 'Bearer acme-three');
    clock += 60_000;
    const hitsBefore = cdn.hits('/acme/catalog.csv');

    expect(await fetchFeedNow(ctx, 'acme')).toMatchObject({ outcome: 'failed', errorKind: 'http_4xx', httpStatus: 401 });
    expect(cdn.hits('/acme/catalog.csv') - hitsBefore).toBe(1);
    expect(secretReads()).toBe(3);
  });

  it('prefers a FEED_SECRET_* variable of the same name, and never re-reads the secret for it', async () => {
    behindToken('/local/catalog.csv', 'Bearer from-the-variable');
    await updateSupplierSettings(ctx, 'local', { feedUrl: cdn.url('/local/catalog.csv'), feedHeaders: { Authorization: 'FEED_SECRET_LOCAL' } });
    const reads = secretReads();

    expect(await fetchFeedNow(ctx, 'local')).toMatchObject({ outcome: 'imported' });
    behindToken('/local/catalog.csv', 'Bearer from-the-secret');
    clock += 60_000;
    expect(await fetchFeedNow(ctx, 'local')).toMatchObject({ outcome: 'failed', httpStatus: 401 });
    expect(secretReads()).toBe(reads);
  });

  it('a name held by neither is missing_secret, naming the secret it was looked for in', async () => {
    await updateSupplierSettings(ctx, 'nobody', { feedUrl: cdn.url('/acme/catalog.csv'), feedHeaders: { Authorization: 'FEED_SECRET_NOBODY' } });

    expect(await fetchFeedNow(ctx, 'nobody')).toMatchObject({
      outcome: 'failed',
      errorKind: 'missing_secret',
      error: 'nobody: header Authorization names FEED_SECRET_NOBODY, which is not set (no such variable, nor a key of secret prod/feeds)',
    });
  });

  it('a secret that is not a JSON object of FEED_SECRET_* names fails the fetch as `secret`, naming the key and never a value', async () => {
    fake.secrets.set('prod/feeds', JSON.stringify({ ACME_TOKEN: 'Bearer acme-leaked' }));
    clock += 600_000; // past the TTL: the next fetch reads it again

    const result = await fetchFeedNow(ctx, 'acme');

    expect(result).toMatchObject({ outcome: 'failed', errorKind: 'secret', error: expect.stringContaining('keys must be FEED_SECRET_* names, as the feed headers store them; got "ACME_TOKEN"') });
    expect(JSON.stringify(await fetchesOf('acme'))).not.toContain('acme-leaked');
  });
});
