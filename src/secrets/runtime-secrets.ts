import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Config } from '../config.ts';
import type { DatabaseUrlSource } from '../db/client.ts';
import { databaseUrlSecret } from './database-url.ts';
import { type FeedSecrets, feedSecrets } from './feed-secrets.ts';
import { createSecretCache, type RotatingValue, type SecretCache } from './secret-cache.ts';

/** What the Lambda adapters read at run time: the first two undefined when their plain variable is used instead. */
export interface RuntimeSecrets {
  databaseUrl: DatabaseUrlSource | undefined;
  adminToken: RotatingValue | undefined;
  /** Feed header values: FEED_SECRET_* variables, then the feed secret's keys when FEED_SECRETS_SECRET_ID names one. */
  feedSecrets: FeedSecrets;
}

const fixed = (value: string): RotatingValue => ({ current: async () => value, reread: async () => value });

/**
 * The database URL, admin token and feed header values from Secrets Manager (DATABASE_SECRET_ID,
 * ADMIN_TOKEN_SECRET_ID, FEED_SECRETS_SECRET_ID), cached SECRETS_CACHE_TTL_SECONDS; ADMIN_TOKEN when
 * set instead. No client is made when no secret is named.
 */
export function runtimeSecrets(config: Config, deps: { client?: SecretsManagerClient; now?: () => number } = {}): RuntimeSecrets {
  const { databaseSecretId, adminTokenSecretId, feedSecretsId, cacheTtlSeconds } = config.secrets;
  let cache: SecretCache | undefined;
  const secret = (secretId: string) => {
    cache ??= createSecretCache(deps.client ?? new SecretsManagerClient({ region: config.aws.region }), {
      ttlMs: cacheTtlSeconds * 1000,
      ...(deps.now && { now: deps.now }),
    });
    return cache.value(secretId);
  };
  return {
    databaseUrl: databaseSecretId ? databaseUrlSecret(databaseSecretId, secret(databaseSecretId)) : undefined,
    adminToken: adminTokenSecretId ? secret(adminTokenSecretId) : config.adminToken ? fixed(config.adminToken) : undefined,
    feedSecrets: feedSecrets(config.feeds.secrets, feedSecretsId ? { id: feedSecretsId, value: secret(feedSecretsId) } : undefined),
  };
}
