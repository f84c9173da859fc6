/**
 * The one base of our errors: a `kind` that admins see and that alone decides retry or fail
 * (`transient`), with the cause kept. Each feature has its own subclass and kinds (CatalogError,
 * ImageError, AdminError, ConfigError, RequestValidationError).
 */
export abstract class AppError<Kind extends string = string> extends Error {
  readonly kind: Kind;

  constructor(kind: Kind, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.kind = kind;
  }

  /** True when the same operation may succeed on another attempt. */
  abstract get transient(): boolean;
}
