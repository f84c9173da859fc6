import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { createDb, type DatabaseUrlSource } from '../../../src/db/client.ts';
import { postgresBinDir, startTlsPostgres, type TlsPostgres } from '../../helpers/tls-postgres.ts';

const binDir = postgresBinDir();

/** A pool built the way createContext builds it, from environment variables. */
function poolFrom(env: Record<string, string>, url?: DatabaseUrlSource) {
  const config = loadConfig({ DATABASE_POOL_MAX: '2', ...env });
  return createDb(url ?? config.databaseUrl!, config.databasePoolMax, config.databaseTimeouts, config.databaseTls, config.databaseProxyEndpoint).pool;
}

/** A database secret that never rotates. */
const secretHolding = (url: string): DatabaseUrlSource => ({ current: async () => url, reread: async () => url });

async function sslOfSession(pool: ReturnType<typeof poolFrom>): Promise<boolean> {
  try {
    const { rows } = await pool.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return rows[0]!.ssl;
  } finally {
    await pool.end();
  }
}

// CI installs the PostgreSQL server; a machine without its binaries cannot start the ssl-only cluster.
describe.skipIf(!binDir)(`PostgreSQL that accepts only TLS${binDir ? '' : ' (skipped: no PostgreSQL server binaries under /usr/lib/postgresql)'}`, () => {
  let server: TlsPostgres;

  beforeAll(async () => {
    server = await startTlsPostgres(binDir!);
  });

  afterAll(() => {
    server?.stop();
  });

  it('connects with DATABASE_SSL=verify-full and the CA that signed the server', async () => {
    const pool = poolFrom({ DATABASE_URL: server.url(), DATABASE_SSL: 'verify-full', DATABASE_CA_FILE: server.caFile });
    expect(await sslOfSession(pool)).toBe(true);
  });

  it('refuses a server certificate from another CA, or for another host name, under verify-full', async () => {
    const otherCa = poolFrom({ DATABASE_URL: server.url(), DATABASE_SSL: 'verify-full', DATABASE_CA_FILE: server.otherCaFile });
    await expect(sslOfSession(otherCa)).rejects.toThrow(/unable to (verify|get local issuer) .*certificate|self-signed certificate/);
    // Without DATABASE_CA_FILE, Node's own CAs (plus NODE_EXTRA_CA_CERTS on Lambda) do not know this one either.
    const defaultCas = poolFrom({ DATABASE_URL: server.url(), DATABASE_SSL: 'verify-full' });
    await expect(sslOfSession(defaultCas)).rejects.toThrow(/certificate/);
    const byAddress = poolFrom({ DATABASE_URL: server.url({ host: '127.0.0.1' }), DATABASE_SSL: 'verify-full', DATABASE_CA_FILE: server.caFile });
    await expect(sslOfSession(byAddress)).rejects.toThrow(/IP: 127\.0\.0\.1 is not in the cert's list/);
  });

  it('encrypts without checking the certificate under require', async () => {
    const pool = poolFrom({ DATABASE_URL: server.url(), DATABASE_SSL: 'require' });
    expect(await sslOfSession(pool)).toBe(true);
  });

  it('is refused in plaintext by a server that allows only TLS', async () => {
    const pool = poolFrom({ DATABASE_URL: server.url(), DATABASE_SSL: 'disable' });
    await expect(sslOfSession(pool)).rejects.toThrow(/no pg_hba\.conf entry .*no encryption/);
  });

  it('refuses a URL whose sslmode contradicts DATABASE_SSL', () => {
    expect(() => poolFrom({ DATABASE_URL: `${server.url()}?sslmode=disable`, DATABASE_SSL: 'verify-full' })).toThrow(
      'DATABASE_SSL=verify-full decides TLS, but the database URL also sets sslmode: keep one of the two',
    );
  });

  it('behind RDS Proxy connects to DATABASE_PROXY_ENDPOINT and checks the certificate against that name, not the secret\'s host', async () => {
    // The secret keeps naming the database (its rotation function connects there); the functions go to the proxy.
    const secret = secretHolding(server.url({ host: 'database.invalid' }));
    const tls = { DATABASE_SSL: 'verify-full', DATABASE_CA_FILE: server.caFile };
    const viaProxy = poolFrom({ ...tls, DATABASE_PROXY_ENDPOINT: `localhost:${server.port}` }, secret);
    expect(await sslOfSession(viaProxy)).toBe(true);
    const byAddress = poolFrom({ ...tls, DATABASE_PROXY_ENDPOINT: `127.0.0.1:${server.port}` }, secret);
    await expect(sslOfSession(byAddress)).rejects.toThrow(/IP: 127\.0\.0\.1 is not in the cert's list/);
    const otherCa = poolFrom({ ...tls, DATABASE_CA_FILE: server.otherCaFile, DATABASE_PROXY_ENDPOINT: `localhost:${server.port}` }, secret);
    await expect(sslOfSession(otherCa)).rejects.toThrow(/unable to (verify|get local issuer) .*certificate|self-signed certificate/);
  });

  it('follows a rotated password: open connections keep working, a refused login reads the secret again once', async () => {
    const admin = poolFrom({ DATABASE_URL: server.url(), DATABASE_SSL: 'verify-full', DATABASE_CA_FILE: server.caFile });
    await admin.query("DROP ROLE IF EXISTS importer; CREATE ROLE importer LOGIN PASSWORD 'first-password'");
    let secret = server.url({ user: 'importer', password: 'first-password' });
    const reads: string[] = [];
    const source: DatabaseUrlSource = {
      current: async () => (reads.push('current'), secret),
      reread: async () => (reads.push('reread'), secret),
    };
    const pool = poolFrom({ DATABASE_SSL: 'verify-full', DATABASE_CA_FILE: server.caFile }, source);
    const first = await pool.connect();
    expect((await first.query('SELECT current_user AS who')).rows).toEqual([{ who: 'importer' }]);

    // The rotation: the password changes on the server first, then in the secret; the cache still holds the old one.
    await admin.query("ALTER ROLE importer PASSWORD 'second-password'");
    const stale = secret;
    secret = server.url({ user: 'importer', password: 'second-password' });
    source.current = async () => (reads.push('current'), stale);
    expect((await first.query('SELECT 1 AS still')).rows).toEqual([{ still: 1 }]);

    reads.length = 0;
    const second = await pool.connect().catch((error: unknown) => error);
    expect(second).not.toBeInstanceOf(Error);
    expect(reads).toEqual(['current', 'reread']);
    first.release();
    (second as { release(): void }).release();
    await pool.end();
    await admin.query('DROP ROLE importer');
    await admin.end();
  });
});

// The machine's PostgreSQL (the test run's DATABASE_URL) stands in for RDS Proxy: no TLS, but the same routing.
describe.runIf(Boolean(process.env.DATABASE_URL))('behind RDS Proxy (DATABASE_PROXY_ENDPOINT)', () => {
  const server = new URL(process.env.DATABASE_URL ?? 'postgres://localhost');
  const endpoint = `${server.hostname}:${server.port || '5432'}`;
  const elsewhere = Object.assign(new URL(server), { hostname: 'database.invalid', port: '6543' }).toString();
  const timeouts = ['idle_in_transaction_session_timeout', 'lock_timeout', 'statement_timeout'];

  /** Who the session is, and which of the pool's timeouts it got as startup parameters (pg_settings source `client`). */
  async function session(pool: ReturnType<typeof poolFrom>) {
    try {
      const { rows: [who] } = await pool.query<{ user: string; db: string }>('SELECT current_user AS user, current_database() AS db');
      const { rows } = await pool.query<{ name: string }>("SELECT name FROM pg_settings WHERE source = 'client' AND name = ANY($1) ORDER BY name", [timeouts]);
      return { ...who, fromClient: rows.map((row) => row.name) };
    } finally {
      await pool.end();
    }
  }

  it('connects to the endpoint with the URL\'s user and database, whatever host and port the URL names', async () => {
    const viaProxy = await session(poolFrom({ DATABASE_URL: elsewhere, DATABASE_PROXY_ENDPOINT: endpoint }));
    const direct = await session(poolFrom({ DATABASE_URL: server.toString() }));
    expect(viaProxy).toMatchObject({ user: direct.user, db: direct.db });
  });

  it('sends none of the pool\'s timeouts as startup parameters, which the proxy refuses (its InitQuery sets them)', async () => {
    expect((await session(poolFrom({ DATABASE_URL: server.toString() }))).fromClient).toEqual(timeouts);
    expect((await session(poolFrom({ DATABASE_PROXY_ENDPOINT: endpoint }, secretHolding(elsewhere)))).fromClient).toEqual([]);
  });
});
