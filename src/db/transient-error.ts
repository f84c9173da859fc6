import { DrizzleQueryError } from 'drizzle-orm/errors';

/**
 * Whether a database error is worth retrying: the connection went away (SQLSTATE class 08, or
 * 57P01–57P03 admin shutdown / crash / cannot connect now), a deadlock or serialization failure
 * (class 40), the server ran out of resources (class 53), a lock or statement timeout (55P03, 57014:
 * the pools set both); also pg's own "Connection terminated".
 * Constraint violations and bad SQL are not.
 */
export function isTransientDatabaseError(thrown: unknown): boolean {
  const error = driverError(thrown);
  const code = (error as { code?: unknown } | null)?.code;
  // pg reports a connection the server closed under a running query with this message and no code.
  if (error instanceof Error && /^Connection terminated( unexpectedly)?$/.test(error.message)) return true;
  if (typeof code !== 'string') return false;
  if (/^(08|40|53)/.test(code) || /^57P0[1-3]$/.test(code)) return true;
  // lock_timeout and statement_timeout (set on every pool, see DbTimeouts): the database was busy.
  if (code === '55P03' || code === '57014') return true;
  // Node-level failures reaching the server (pg reports them without a SQLSTATE).
  return ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'].includes(code);
}

/**
 * The driver's own error behind `thrown`: drizzle wraps pg's error (which carries the SQLSTATE) in
 * one that quotes the statement and all its parameters, with pg's as its `cause`.
 */
export function driverError(thrown: unknown): unknown {
  return thrown instanceof DrizzleQueryError && thrown.cause ? thrown.cause : thrown;
}
