import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
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

/** One pg Pool and the drizzle handle over it. Raw SQL that matters goes through `pool` or `db.execute`. */
export function createDb(url: string, poolMax: number, timeouts?: DbTimeouts) {
  // A database that does not answer must fail fast (and be retried), not hang a Lambda to its timeout.
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    connectionTimeoutMillis: 10_000,
    ...(timeouts && {
      lock_timeout: timeouts.lockTimeoutMs,
      statement_timeout: timeouts.statementTimeoutMs,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
    }),
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = drizzle(pool, { schema });
  return { pool, db };
}
