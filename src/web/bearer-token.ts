import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { AdminError, AdminErrorKind } from '../admin/errors.ts';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Requires `Authorization: Bearer <ADMIN_TOKEN>`. Both sides are hashed first, so the comparison is
 * constant-time over equal-length digests and leaks neither the token's content nor its length.
 */
export function requireBearerToken(token: string | undefined): MiddlewareHandler {
  if (!token) {
    throw new AdminError(AdminErrorKind.notConfigured, 'ADMIN_TOKEN is not set: the admin API will not start without it (16+ random characters)');
  }
  const expected = digest(token);
  return async (c, next) => {
    const match = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '');
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      return c.json({ error: 'missing or wrong bearer token' }, 401, { 'www-authenticate': 'Bearer' });
    }
    await next();
  };
}
