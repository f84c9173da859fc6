import { S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, QueueDoesNotExist, SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config.ts';
import { ConfigError } from './config.ts';
import { createDb, type DatabaseUrlSource, type Db } from './db/client.ts';
import type pg from 'pg';
import type { Log } from './observability/logger.ts';

/** Everything the logic talks to. Adapters (handlers, CLI, tests) build one; logic takes it as an argument. */
export interface AppContext {
  config: Config;
  db: Db;
  pool: pg.Pool;
  sqs: SQSClient;
  s3: S3Client;
  log: Log;
  /** Queue URLs resolved at start, so the hot paths never look them up. */
  queueUrl: string;
  dlqUrl: string | undefined;
  now: () => Date;
  close(): Promise<void>;
}

export function createAwsClients(config: Config) {
  const common = {
    region: config.aws.region,
    ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}),
    ...(config.aws.credentials ? { credentials: config.aws.credentials } : {}),
  };
  return {
    sqs: new SQSClient(common),
    // Path style: emulators and custom endpoints do not resolve bucket subdomains. Checksums only where
    // S3 requires them: by default the SDK signs a CRC32 of the (empty) body into presigned PUT URLs,
    // which then refuse the real file, and S3-compatible stores reject the CRC32 trailers of PutObject.
    s3: new S3Client({
      ...common,
      forcePathStyle: Boolean(config.aws.endpoint),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  };
}

async function resolveQueueUrl(sqs: SQSClient, url: string | undefined, name: string) {
  if (url) return url;
  const found = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!found.QueueUrl) throw new ConfigError(`queue ${name} not found: set IMAGES_QUEUE_URL`);
  return found.QueueUrl;
}

/**
 * Builds the context from a config whose database and AWS endpoints are already decided.
 * `databaseUrl` replaces DATABASE_URL with a source that can change (a secret read at run time).
 */
export async function createContext(config: Config, log: Log, options: { databaseUrl?: DatabaseUrlSource } = {}): Promise<AppContext> {
  const databaseUrl = options.databaseUrl ?? config.databaseUrl;
  if (!databaseUrl) throw new ConfigError('DATABASE_URL: required here (the embedded stack sets it locally)');
  const { pool, db } = createDb(databaseUrl, config.databasePoolMax, config.databaseTimeouts, config.databaseTls);
  const { sqs, s3 } = createAwsClients(config);
  const queueUrl = await resolveQueueUrl(sqs, config.queue.url, config.queue.name);
  // A deployment without a DLQ is allowed (admin DLQ commands then say so); any other error is real.
  const dlqUrl =
    config.queue.dlqUrl ??
    (await resolveQueueUrl(sqs, undefined, config.queue.dlqName).catch((error: unknown) => {
      if (error instanceof QueueDoesNotExist) return undefined;
      throw error;
    }));
  return {
    config,
    db,
    pool,
    sqs,
    s3,
    log,
    queueUrl,
    dlqUrl,
    now: () => new Date(),
    async close() {
      sqs.destroy();
      s3.destroy();
      await pool.end();
    },
  };
}
