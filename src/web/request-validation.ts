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

/** Parses `value` with `schema` or throws a RequestValidationError naming the fields (HTTP 400). */
export function validate<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = [...issue.path.map(String), ...keys].join('.') || where;
    return { field, message: `${field}: ${issue.message}` };
  });
  throw new RequestValidationError(
    issues.map((i) => i.field),
    `invalid ${where}: ${issues.map((i) => i.message).join('; ')}`,
  );
}
