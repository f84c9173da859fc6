import { readFileSync } from 'node:fs';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { ConfigError } from '../config.ts';
import * as schema from './schema.ts';

export type Db = NodePgDatabase<typeof schema>;

/** Server-side limits of every session of the pool, in milliseconds (0: none). */
export interface DbTimeouts {
  /** Waiting for a row or advisory lock: a worker gives up on an import's locks and retries later. */
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  /** A client that died holding a transaction must not hold its locks for long. */
  idleInTransactionTimeoutMs: number;
}

/** DATABASE_SSL: how the pool talks TLS to the server. */
export const DatabaseSsl = {
  /** TLS, the certificate chained to a trusted CA (Node's, NODE_EXTRA_CA_CERTS, or DATABASE_CA_FILE) and naming the host. */
  verifyFull: 'verify-full',
  /** TLS without checking the certificate: encrypted, but open to anyone who can sit in the middle. */
  require: 'require',
  disable: 'disable',
} as const;
export type DatabaseSsl = (typeof DatabaseSsl)[keyof typeof DatabaseSsl];

export interface DbTls {
  /** Unset: the URL decides (pg reads `sslmode`; no `sslmode` is plaintext). */
  mode: DatabaseSsl | undefined;
  /** PEM bundle trusted instead of Node's CAs, for verify-full. */
  caFile: string | undefined;
}

/**
 * Where the pool gets its connection string when it can change while the process runs (a rotated
 * secret): `current()` for each new connection, `reread()` once after the server refused a login.
 */
export interface DatabaseUrlSource {
  current(): Promise<string>;
  reread(): Promise<string>;
}

// The URL parameters through which pg picks TLS; with DATABASE_SSL set they would silently win over it.
const urlSslParameters = ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'uselibpqcompat'];

/** pg's `ssl` option for DATABASE_SSL; undefined leaves TLS to the URL. */
export function sslOptions(url: string, tls: DbTls | undefined): pg.ClientConfig['ssl'] {
  if (!tls?.mode) return undefined;
  const inUrl = urlSslParameters.filter((name) => new URL(url).searchParams.has(name));
  if (inUrl.length > 0) {
    throw new ConfigError(`DATABASE_SSL=${tls.mode} decides TLS, but the database URL also sets ${inUrl.join(', ')}: keep one of the two`);
  }
  if (tls.mode === DatabaseSsl.disable) return false;
  if (tls.mode === DatabaseSsl.require) return { rejectUnauthorized: false };
  if (!tls.caFile) return { rejectUnauthorized: true };
  try {
    return { rejectUnauthorized: true, ca: readFileSync(tls.caFile, 'utf8') };
  } catch (error) {
    throw new ConfigError(`DATABASE_CA_FILE=${tls.caFile}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

/** RDS Proxy for PostgreSQL listens on 5432, whatever port the database behind it uses. */
const proxyPort = 5432;

/**
 * `url` sent to `endpoint` (`host`, or `host:port`) instead of its own host and port; user, password,
 * database and parameters stay. Under verify-full the certificate must then name the endpoint.
 */
export function throughProxy(url: string, endpoint: string): string {
  const colon = endpoint.lastIndexOf(':');
  const target = new URL(url);
  target.hostname = colon === -1 ? endpoint : endpoint.slice(0, colon);
  target.port = colon === -1 ? String(proxyPort) : endpoint.slice(colon + 1);
  return target.toString();
}

/** The server refused the credentials (28P01 invalid_password, 28000 invalid_authorization_specification). */
function refusedLogin(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '28P01' || code === '28000';
}

/**
 * A pool whose new connections use the source's latest URL. Open connections keep working after a
 * rotation (the server does not log them out); a login refused with the cached credentials reads the
 * secret again and tries once more. A source that fails after a first success keeps the last URL.
 */
function rotatingPool(options: pg.PoolConfig, source: DatabaseUrlSource, tls: DbTls | undefined): pg.Pool {
  let latest: { url: string; ssl: pg.ClientConfig['ssl'] } | undefined;
  const use = (url: string) => {
    if (latest?.url !== url) latest = { url, ssl: sslOptions(url, tls) };
  };

  // pg-pool builds every new client from the pool's options: this one takes the latest URL instead.
  class LatestUrlClient extends pg.Client {
    constructor(config: pg.ClientConfig) {
      super({ ...config, connectionString: latest!.url, ssl: latest!.ssl });
    }
  }

  class RotatingPool extends pg.Pool {
    override connect(): Promise<pg.PoolClient>;
    override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
    override connect(
      callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void,
    ): Promise<pg.PoolClient> | void {
      const connected = this.connectWithLatestUrl();
      if (!callback) return connected;
      connected.then(
        (client) => callback(undefined, client, (release) => client.release(release as Error | boolean | undefined)),
        (error: Error) => callback(error, undefined, () => {}),
      );
    }

    private async connectWithLatestUrl(): Promise<pg.PoolClient> {
      use(
        await source.current().catch((error: unknown) => {
          if (!latest) throw error;
          return latest.url;
        }),
      );
      try {
        return await super.connect();
      } catch (error) {
        if (!refusedLogin(error)) throw error;
        use(await source.reread());
        return await super.connect();
      }
    }
  }

  return new RotatingPool({ ...options, Client: LatestUrlClient as unknown as new () => pg.ClientBase });
}

/**
 * One pg Pool and the drizzle handle over it. Raw SQL that matters goes through `pool` or `db.execute`.
 * `url` is a connection string, or a source of one that can change (see DatabaseUrlSource).
 * With `proxyEndpoint` (RDS Proxy) every connection goes there instead of the URL's host, and
 * `timeouts` are left to the proxy (see below).
 */
export function createDb(url: string | DatabaseUrlSource, poolMax: number, timeouts?: DbTimeouts, tls?: DbTls, proxyEndpoint?: string) {
  // A database that does not answer must fail fast (and be retried), not hang a Lambda to its timeout.
  const options: pg.PoolConfig = {
    max: poolMax,
    connectionTimeoutMillis: 10_000,
    // pg sends these as startup parameters, which RDS Proxy refuses (and a SET per connection would pin
    // it to one database connection): behind the proxy its InitQuery sets the same values on every
    // database connection it opens (infra/database-proxy.yml).
    ...(timeouts &&
      !proxyEndpoint && {
        lock_timeout: timeouts.lockTimeoutMs,
        statement_timeout: timeouts.statementTimeoutMs,
        idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
      }),
  };
  const route = (to: string) => (proxyEndpoint ? throughProxy(to, proxyEndpoint) : to);
  const pool =
    typeof url === 'string'
      ? new pg.Pool({ ...options, connectionString: route(url), ssl: sslOptions(route(url), tls) })
      : rotatingPool(options, { current: async () => route(await url.current()), reread: async () => route(await url.reread()) }, tls);
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = drizzle(pool, { schema });
  return { pool, db };
}
