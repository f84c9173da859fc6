import { Hono } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { appForCurrentToken } from '../../../src/secrets/app-for-current-token.ts';
import { databaseUrlFromSecret } from '../../../src/secrets/database-url.ts';
import { runtimeSecrets } from '../../../src/secrets/runtime-secrets.ts';
import { SecretError } from '../../../src/secrets/errors.ts';
import { createSecretCache } from '../../../src/secrets/secret-cache.ts';
import { startSecretsManagerFake } from '../../helpers/secrets-manager-fake.ts';

type Fake = Awaited<ReturnType<typeof startSecretsManagerFake>>;

const rdsSecret = JSON.stringify({ engine: 'postgres', host: 'db.example.internal', port: 5432, username: 'importer', password: 'p@ss/word:1', dbname: 'catalog' });

describe('secrets read at run time', () => {
  let fake: Fake;
  let clock: number;
  const now = () => clock;

  beforeEach(async () => {
    clock = 1_000_000;
    fake = await startSecretsManagerFake({ 'prod/database': rdsSecret, 'prod/admin-token': 'first-token-0123456789' });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('reads a secret once while it is fresh, and again after the TTL', async () => {
    const token = createSecretCache(fake.client, { ttlMs: 300_000, now }).value('prod/admin-token');

    expect(await Promise.all([token.current(), token.current()])).toEqual(['first-token-0123456789', 'first-token-0123456789']);
    clock += 299_000;
    await token.current();
    expect(fake.requests).toEqual([{ action: 'GetSecretValue', secretId: 'prod/admin-token' }]);

    fake.secrets.set('prod/admin-token', 'second-token-0123456789');
    clock += 1_000;
    expect(await token.current()).toBe('second-token-0123456789');
    expect(fake.requests).toHaveLength(2);
  });

  it('reads again after a refusal, at most once per ten seconds however many refusals', async () => {
    const token = createSecretCache(fake.client, { ttlMs: 300_000, now }).value('prod/admin-token');
    await token.current();
    fake.secrets.set('prod/admin-token', 'second-token-0123456789');

    expect(await token.reread()).toBe('first-token-0123456789');
    clock += 10_000;
    expect(await token.reread()).toBe('second-token-0123456789');
    await token.reread();
    await token.reread();

    expect(fake.requests).toHaveLength(2);
  });

  it('names the secret when it cannot be read, and tries again on the next read', async () => {
    const missing = createSecretCache(fake.client, { ttlMs: 300_000, now }).value('prod/nothing');

    const error = await missing.current().catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(SecretError);
    expect((error as SecretError).message).toMatch(/^secret prod\/nothing: cannot read it from Secrets Manager \(ResourceNotFoundException/);
    expect((error as SecretError).transient).toBe(false);
    await missing.current().catch(() => undefined);
    expect(fake.requests).toHaveLength(2);
  });

  it('builds the database URL from RDS-style JSON, or takes a URL as it is, and never quotes the value in errors', () => {
    expect(databaseUrlFromSecret('prod/database', rdsSecret)).toBe('postgres://importer:p%40ss%2Fword%3A1@db.example.internal:5432/catalog');
    expect(databaseUrlFromSecret('prod/database', ' postgres://u:p@h:5433/d?sslmode=verify-full\n')).toBe('postgres://u:p@h:5433/d?sslmode=verify-full');
    expect(() => databaseUrlFromSecret('prod/database', 'hunter2-not-a-url')).toThrow(
      'secret prod/database: expected a postgres:// URL or RDS-style JSON (username, password, host, port, dbname)',
    );
    expect(() => databaseUrlFromSecret('prod/database', JSON.stringify({ username: 'importer', password: 'hunter2' }))).toThrow(
      /^secret prod\/database: RDS-style JSON needs username, password and host; wrong or missing: host$/,
    );
  });

  it('gives the Lambda adapters the database URL and admin token named by the template', async () => {
    const config = loadConfig({ DATABASE_SECRET_ID: 'prod/database', ADMIN_TOKEN_SECRET_ID: 'prod/admin-token' });

    const secrets = runtimeSecrets(config, { client: fake.client, now });

    expect(await secrets.databaseUrl!.current()).toBe('postgres://importer:p%40ss%2Fword%3A1@db.example.internal:5432/catalog');
    expect(await secrets.adminToken!.current()).toBe('first-token-0123456789');
    expect(fake.requests.map((request) => request.secretId).sort()).toEqual(['prod/admin-token', 'prod/database']);
  });

  it('refuses a configuration that names both a secret and a plain value', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://localhost/x', DATABASE_SECRET_ID: 'prod/database' })).toThrow(
      'DATABASE_URL and DATABASE_SECRET_ID are both set: keep one',
    );
  });

  it('lets the admin API accept a rotated token at once, without a redeploy', async () => {
    const config = loadConfig({ ADMIN_TOKEN_SECRET_ID: 'prod/admin-token', DATABASE_URL: 'postgres://localhost/x' });
    const { adminToken } = runtimeSecrets(config, { client: fake.client, now });
    let builds = 0;
    const serve = appForCurrentToken(adminToken!, (token) => {
      builds += 1;
      return new Hono().use('/api/*', bearerAuth({ token })).get('/api/status', (c) => c.json({ ok: true }));
    });
    const status = (token: string) => serve(new Request('http://admin/api/status', { headers: { authorization: `Bearer ${token}` } }));

    expect((await status('first-token-0123456789')).status).toBe(200);
    fake.secrets.set('prod/admin-token', 'second-token-0123456789');
    clock += 60_000;

    expect((await status('second-token-0123456789')).status).toBe(200);
    expect((await status('first-token-0123456789')).status).toBe(401);
    expect((await status('first-token-0123456789')).status).toBe(401);
    expect(builds).toBe(2);
    expect(fake.requests).toHaveLength(2);
  });
});
