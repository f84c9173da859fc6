import { zValidator } from '@hono/zod-validator';
import type { ValidationTargets } from 'hono';
import type { z } from 'zod';
import { AppError } from '../errors.ts';

/** A request body, query or form field that failed its schema; the message names every bad field. */
export class RequestValidationError extends AppError<'invalid_request'> {
  override name = 'RequestValidationError';
  readonly fields: string[];

  constructor(fields: string[], message: string) {
    super('invalid_request', message);
    this.fields = fields;
  }

  get transient(): boolean {
    return false;
  }
}

/** The one message format for a value that failed its schema: every bad field, named. */
function validationError(error: { issues: z.core.$ZodIssue[] }, where: string): RequestValidationError {
  const issues = error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = [...issue.path.map(String), ...keys].join('.') || where;
    return { field, message: `${field}: ${issue.message}` };
  });
  return new RequestValidationError(
    issues.map((i) => i.field),
    `invalid ${where}: ${issues.map((i) => i.message).join('; ')}`,
  );
}

const targetName = { json: 'body', query: 'query', param: 'path', form: 'form', header: 'header', cookie: 'cookie' } as const;

/**
 * Hono's zod validator for one part of the request; a failure throws a RequestValidationError
 * (HTTP 400 through errorResponse), so every route reports bad input the same way.
 * @example app.get('/api/failures', validated('query', schemas.failures), (c) => c.json(c.req.valid('query')));
 */
export function validated<Target extends keyof ValidationTargets, Schema extends z.ZodType>(target: Target, schema: Schema) {
  return zValidator(target, schema, (result) => {
    if (!result.success) throw validationError(result.error, targetName[target as keyof typeof targetName] ?? target);
  });
}

/** Parses `value` with `schema` or throws a RequestValidationError naming the fields (HTTP 400). */
export function validate<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw validationError(parsed.error, where);
}
