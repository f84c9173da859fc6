import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretError } from './errors.ts';

function retryable(error: unknown): boolean {
  const e = error as { $retryable?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  return Boolean(e?.$retryable) || (e?.$metadata?.httpStatusCode ?? 0) >= 500 || !e?.$metadata;
}

/** A value that can change under us (a rotated secret): read it cached, or again after it was refused. */
export interface RotatingValue {
  /** The value, read again once it is older than the cache's TTL. */
  current(): Promise<string>;
  /** The value read again now: the server refused the one we had. At most once per `minRereadMs`. */
  reread(): Promise<string>;
}

export interface SecretCacheOptions {
  /** How long a value is used before it is read again (SECRETS_CACHE_TTL_SECONDS). */
  ttlMs: number;
  /** Refusals (a wrong token, a failed login) read again at most this often, so they cannot flood the API. */
  minRereadMs?: number;
  now?: () => number;
}

interface Entry {
  value: Promise<string>;
  readAt: number;
}

/**
 * Secrets Manager values by secret id (name or ARN), cached for `ttlMs`. One read in flight per id;
 * a failed read is not cached.
 *
 * @example
 * const secrets = createSecretCache(new SecretsManagerClient({}), { ttlMs: 300_000 });
 * const token = secrets.value('catalog-importer/prod/admin-token');
 * await token.current();
 */
export function createSecretCache(client: SecretsManagerClient, options: SecretCacheOptions) {
  const now = options.now ?? Date.now;
  const minRereadMs = options.minRereadMs ?? 10_000;
  const entries = new Map<string, Entry>();

  async function fetchSecret(secretId: string): Promise<string> {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId })).catch((error: unknown) => {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new SecretError(`secret ${secretId}: cannot read it from Secrets Manager (${reason})`, { cause: error, transient: retryable(error) });
    });
    if (answer.SecretString === undefined) throw new SecretError(`secret ${secretId}: has no SecretString (binary secrets are not supported)`);
    return answer.SecretString;
  }

  function read(secretId: string): Promise<string> {
    const entry: Entry = { value: fetchSecret(secretId), readAt: now() };
    entries.set(secretId, entry);
    entry.value.catch(() => {
      if (entries.get(secretId) === entry) entries.delete(secretId);
    });
    return entry.value;
  }

  return {
    value(secretId: string): RotatingValue {
      return {
        current() {
          const entry = entries.get(secretId);
          return entry && now() - entry.readAt < options.ttlMs ? entry.value : read(secretId);
        },
        reread() {
          const entry = entries.get(secretId);
          return entry && now() - entry.readAt < minRereadMs ? entry.value : read(secretId);
        },
      };
    },
  };
}

export type SecretCache = ReturnType<typeof createSecretCache>;
