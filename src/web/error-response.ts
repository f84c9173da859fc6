import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AdminError, AdminErrorKind } from '../admin/errors.ts';
import { CatalogError, CatalogErrorKind } from '../catalog/index.ts';
import type { Log } from '../observability/logger.ts';
import { RequestValidationError } from './request-validation.ts';

const adminStatus: Record<AdminErrorKind, ContentfulStatusCode> = {
  [AdminErrorKind.invalidRequest]: 400,
  [AdminErrorKind.notFound]: 404,
  [AdminErrorKind.unsupported]: 422,
  [AdminErrorKind.notConfigured]: 503,
};

function catalogStatus(kind: CatalogErrorKind): ContentfulStatusCode {
  if (kind === CatalogErrorKind.tooLarge) return 413;
  if (kind === CatalogErrorKind.importNotFound) return 404;
  return 400;
}

/** The one place errors become HTTP responses: known kinds keep their message, anything else is a 500. */
export function errorResponse(c: Context, error: Error, log: Log): Response {
  // Hono's own middlewares (bearerAuth, bodyLimit, the JSON validator) say what went wrong themselves.
  if (error instanceof HTTPException) {
    const response = error.getResponse();
    if (response.headers.get('content-type')?.includes('json')) return response;
    return c.json({ error: error.message || response.statusText }, error.status, Object.fromEntries(response.headers));
  }
  if (error instanceof RequestValidationError) return c.json({ error: error.message, fields: error.fields }, 400);
  if (error instanceof AdminError) return c.json({ error: error.message, kind: error.kind }, adminStatus[error.kind]);
  if (error instanceof CatalogError) return c.json({ error: error.message, kind: error.kind }, catalogStatus(error.kind));
  log.error('admin request failed', { path: c.req.path, error: error.message });
  return c.json({ error: 'internal error; see the logs' }, 500);
}
