import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminServer, startAdminServer } from '../../helpers/admin-server.ts';

const token = 'test-admin-token-0123456789';

describe('a supplier feed set over the HTTP API', () => {
  let admin: AdminServer;

  const patch = (code: string, body: unknown) =>
    fetch(`${admin.url}/api/supplier-settings/${code}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const feedRow = async (code: string) =>
    (
      await admin.ctx.pool.query(
        `SELECT feed_url, feed_interval_seconds, feed_enabled, feed_headers, feed_etag, feed_content_hash, feed_fetched_at FROM suppliers WHERE code = $1`,
        [code],
      )
    ).rows[0];

  beforeAll(async () => {
    admin = await startAdminServer(token);
  });
  afterAll(() => admin?.stop());

  it('stores the URL, interval, on/off and header secret names; a new URL forgets the old validators', async () => {
    const created = await patch('feedy', {
      feedUrl: 'https://feeds.example.test/catalog.csv',
      feedIntervalSeconds: 86_400,
      feedHeaders: { Authorization: 'FEED_SECRET_FEEDY' },
    });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { supplier: unknown }).supplier).toMatchObject({
      feedUrl: 'https://feeds.example.test/catalog.csv',
      feedIntervalSeconds: 86_400,
      feedEnabled: true,
      feedHeaders: { Authorization: 'FEED_SECRET_FEEDY' },
    });

    await admin.ctx.pool.query(`UPDATE suppliers SET feed_etag = '"v1"', feed_content_hash = 'abc', feed_fetched_at = now() WHERE code = 'feedy'`);
    expect((await patch('feedy', { feedEnabled: false })).status).toBe(200);
    expect(await feedRow('feedy')).toMatchObject({ feed_enabled: false, feed_etag: '"v1"', feed_content_hash: 'abc' });

    expect((await patch('feedy', { feedUrl: 'https://feeds.example.test/v2.csv', feedIntervalSeconds: null })).status).toBe(200);
    expect(await feedRow('feedy')).toMatchObject({
      feed_url: 'https://feeds.example.test/v2.csv',
      feed_interval_seconds: null,
      feed_enabled: false,
      feed_headers: { Authorization: 'FEED_SECRET_FEEDY' },
      feed_etag: null,
      feed_content_hash: null,
      feed_fetched_at: null,
    });
  });

  it('refuses a secret value where a secret name belongs, credentials in the URL and a non-http scheme', async () => {
    for (const body of [
      { feedHeaders: { Authorization: 'Bearer s3cr3t' } },
      { feedUrl: 'https://user:pass@feeds.example.test/catalog.csv' },
      { feedUrl: 'ftp://feeds.example.test/catalog.csv' },
      { feedIntervalSeconds: 5 },
    ]) {
      const response = await patch('feedy', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect((await feedRow('feedy')).feed_headers).toEqual({ Authorization: 'FEED_SECRET_FEEDY' });
  });
});
