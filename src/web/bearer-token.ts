import type { MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { AdminError, AdminErrorKind } from '../admin/errors.ts';

const refused = { message: { error: 'missing or wrong bearer token' } };

/**
 * Requires `Authorization: Bearer <ADMIN_TOKEN>` (Hono's bearerAuth: it compares hashes of both sides,
 * in constant time, so neither the token's content nor its length leaks). Refuses to be built without a token.
 */
export function requireBearerToken(token: string | undefined): MiddlewareHandler {
  if (!token) {
    throw new AdminError(AdminErrorKind.notConfigured, 'ADMIN_TOKEN is not set: the admin API will not start without it (16+ random characters)');
  }
  return bearerAuth({ token, noAuthenticationHeader: refused, invalidAuthenticationHeader: refused, invalidToken: refused });
}
