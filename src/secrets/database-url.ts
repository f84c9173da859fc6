import { z } from 'zod';
import type { RotatingValue } from './secret-cache.ts';
import { SecretError } from './errors.ts';

/** The JSON RDS writes for a managed secret and that its rotation functions keep up to date. */
const rdsSecret = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  host: z.string().min(1),
  port: z.coerce.number().int().min(1).max(65535).default(5432),
  dbname: z.string().min(1).default('postgres'),
});

/**
 * The connection string in a database secret: either the secret is a `postgres://` URL, or JSON in
 * the shape RDS and its rotation functions use (`username`, `password`, `host`, `port`, `dbname`).
 * Errors name the secret and the missing fields, never the value.
 */
export function databaseUrlFromSecret(secretId: string, value: string): string {
  const text = value.trim();
  if (/^postgres(ql)?:\/\//.test(text)) return text;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SecretError(`secret ${secretId}: expected a postgres:// URL or RDS-style JSON (username, password, host, port, dbname)`);
  }
  const parsed = rdsSecret.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || 'value').join(', ');
    throw new SecretError(`secret ${secretId}: RDS-style JSON needs username, password and host; wrong or missing: ${fields}`);
  }
  const { username, password, host, port, dbname } = parsed.data;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return `postgres://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${hostPart}:${port}/${encodeURIComponent(dbname)}`;
}

/** The database URL kept in a secret, read as the secret is (cached, and again after a refused login). */
export function databaseUrlSecret(secretId: string, secret: RotatingValue): RotatingValue {
  return {
    current: async () => databaseUrlFromSecret(secretId, await secret.current()),
    reread: async () => databaseUrlFromSecret(secretId, await secret.reread()),
  };
}
