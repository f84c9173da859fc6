import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { acquireProcessLock } from './process-lock.ts';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL in WebAssembly (PGlite) behind a socket, so the `pg` driver talks to it as to a server.
 * PGlite is one session: callers must use a pool of at most one connection, or transactions interleave.
 * @param dataDir persisted there; omitted, in memory.
 */
export async function startEmbeddedPostgres(dataDir?: string): Promise<EmbeddedPostgres> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // Its files belong to one process: a second one opening them would corrupt the database.
  const release = dataDir
    ? acquireProcessLock(
        join(dataDir, 'owner.pid'),
        `the embedded database in ${dataDir}`,
        ': stop it first, or set DATABASE_URL to a PostgreSQL that several processes can share',
      )
    : () => {};
  // pg_trgm: the products search's indexes (migrations/0010_product_search.sql).
  const pglite = await PGlite.create(dataDir, { extensions: { pg_trgm } }).catch((error: unknown) => {
    release();
    throw error;
  });
  // Spare slots: a pool that closes and reconnects at once would otherwise be refused while the old
  // socket is still detaching, and a test may hold a few one-connection pools side by side. Only one
  // connection may be busy at a time (see above): the server runs their queries in one session.
  const server = new PGLiteSocketServer({ db: pglite, port: 0, host: '127.0.0.1', maxConnections: 4 });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    async stop() {
      await server.stop();
      await pglite.close();
      release();
    },
  };
}
