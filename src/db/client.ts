import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema.ts';

export type Db = NodePgDatabase<typeof schema>;

/** One pg Pool and the drizzle handle over it. Raw SQL that matters goes through `pool` or `db.execute`. */
export function createDb(url: string, poolMax: number) {
  // A database that does not answer must fail fast (and be retried), not hang a Lambda to its timeout.
  const pool = new pg.Pool({ connectionString: url, max: poolMax, connectionTimeoutMillis: 10_000 });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = drizzle(pool, { schema });
  return { pool, db };
}
