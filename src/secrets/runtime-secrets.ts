import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Config } from '../config.ts';
import type { DatabaseUrlSource } from '../db/client.ts';
import { databaseUrlSecret } from './database-url.ts';
import { createSecretCache, type RotatingValue } from './secret-cache.ts';

/** What the Lambda adapters read at run time: each undefined when its plain variable is used instead. */
export interface RuntimeSecrets {
  databaseUrl: DatabaseUrlSource | undefined;
  adminToken: RotatingValue | undefined;
}

const fixed = (value: string): RotatingValue => ({ current: async () => value, reread: async () => value });

/**
 * The database URL and admin token from Secrets Manager (DATABASE_SECRET_ID, ADMIN_TOKEN_SECRET_ID),
 * cached SECRETS_CACHE_TTL_SECONDS; ADMIN_TOKEN when set instead. No client is made when no secret is named.
 */
export function runtimeSecrets(config: Config, deps: { client?: SecretsManagerClient; now?: () => number } = {}): RuntimeSecrets {
  const { databaseSecretId, adminTokenSecretId, cacheTtlSeconds } = config.secrets;
  if (!databaseSecretId && !adminTokenSecretId) {
    return { databaseUrl: undefined, adminToken: config.adminToken ? fixed(config.adminToken) : undefined };
  }
  const client = deps.client ?? new SecretsManagerClient({ region: config.aws.region });
  const cache = createSecretCache(client, { ttlMs: cacheTtlSeconds * 1000, ...(deps.now && { now: deps.now }) });
  return {
    databaseUrl: databaseSecretId ? databaseUrlSecret(databaseSecretId, cache.value(databaseSecretId)) : undefined,
    adminToken: adminTokenSecretId ? cache.value(adminTokenSecretId) : config.adminToken ? fixed(config.adminToken) : undefined,
  };
}
