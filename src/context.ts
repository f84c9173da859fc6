import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type pg from 'pg';
import type { Config } from './config.ts';
import { ConfigError } from './config.ts';
import { createDb, type DatabaseUrlSource, type Db } from './db/client.ts';
import type { Log } from './observability/logger.ts';
import { type FeedSecrets, feedSecrets } from './secrets/feed-secrets.ts';

/** Everything the logic talks to. Adapters (handlers, CLI, tests) build one; logic takes it as an argument. */
export interface AppContext {
  config: Config;
  db: Db;
  pool: pg.Pool;
  sqs: SQSClient;
  s3: S3Client;
  log: Log;
  /** The values of feed request headers (FEED_SECRET_* variables; on Lambda, also the feed secret). */
  feedSecrets: FeedSecrets;
  /** Queue URLs resolved at start, so the hot paths never look them up. */
  queueUrl: string;
  dlqUrl: string | undefined;
  now: () => Date;
  close(): Promise<void>;
}

/**
 * A context whose SQS/S3 side was left out (`aws: false`): reading any of it is a bug in the adapter
 * that said the command needs no queue or bucket, so it fails loudly.
 */
function withoutAws(): Pick<AppContext, 'sqs' | 's3' | 'queueUrl' | 'dlqUrl'> {
  const refuse = (): never => {
    throw new ConfigError('this command was started without SQS/S3 (aws: false) but reached for them');
  };
  return {
    get sqs() {
      return refuse();
    },
    get s3() {
      return refuse();
    },
    get queueUrl() {
      return refuse();
    },
    get dlqUrl() {
      return refuse();
    },
  };
}

/**
 * Builds the context from a config whose database and AWS endpoints are already decided. With
 * `aws: false` the AWS SDK is not even loaded: commands that only read the database start faster.
 * `databaseUrl` replaces DATABASE_URL with a source that can change (a secret read at run time), and
 * `feedSecrets` replaces the FEED_SECRET_* variables alone with those and the feed secret's keys.
 */
export async function createContext(
  config: Config,
  log: Log,
  options: { aws?: boolean; databaseUrl?: DatabaseUrlSource; feedSecrets?: FeedSecrets } = {},
): Promise<AppContext> {
  const databaseUrl = options.databaseUrl ?? config.databaseUrl;
  if (!databaseUrl) throw new ConfigError('DATABASE_URL: required here (the embedded stack sets it locally)');
  const { pool, db } = createDb(databaseUrl, config.databasePoolMax, config.databaseTimeouts, config.databaseTls, config.databaseProxyEndpoint);
  const aws = options.aws === false ? undefined : await (await import('./aws-clients.ts')).connectAws(config).catch(async (error: unknown) => {
    await pool.end();
    throw error;
  });
  const base = { config, db, pool, log, feedSecrets: options.feedSecrets ?? feedSecrets(config.feeds.secrets), now: () => new Date() };
  if (!aws) {
    return Object.defineProperties({ ...base, close: () => pool.end() }, Object.getOwnPropertyDescriptors(withoutAws())) as unknown as AppContext;
  }
  return {
    ...base,
    ...aws,
    async close() {
      aws.sqs.destroy();
      aws.s3.destroy();
      await pool.end();
    },
  };
}
