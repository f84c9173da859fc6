import { AppError } from '../errors.ts';

/** A secret that could not be read, or holds nothing we can use. Transient when Secrets Manager said so (throttling, 5xx). */
export class SecretError extends AppError<'secret'> {
  override name = 'SecretError';
  readonly #transient: boolean;

  constructor(message: string, options: { cause?: unknown; transient?: boolean } = {}) {
    super('secret', message, options);
    this.#transient = options.transient ?? false;
  }

  get transient(): boolean {
    return this.#transient;
  }
}
