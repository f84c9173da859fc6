import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

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
  const pglite = await PGlite.create(dataDir);
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
    },
  };
}
