import { join, resolve } from 'node:path';
import type { Config } from '../config.ts';
import { createAwsClients } from '../context.ts';
import { createDb } from '../db/client.ts';
import { runMigrations } from '../db/migrate.ts';
import { provisionLocalResources, startEmbeddedAws } from './aws.ts';
import { startEmbeddedPostgres } from './postgres.ts';

export interface LocalStack {
  /** The config with the embedded endpoints filled in; hand it to createContext. */
  config: Config;
  /** What runs embedded, for the CLI to say so. */
  embedded: { postgres: boolean; aws: boolean };
  stop(): Promise<void>;
}

/** Whether the config names real AWS resources; if not, the CLI runs the SQS/S3 emulator itself. */
export function usesRealAws(config: Config): boolean {
  return Boolean(config.aws.endpoint || config.queue.url);
}

/**
 * Fills in what the environment leaves unset: PGlite for DATABASE_URL, fauxqs for AWS_ENDPOINT_URL,
 * persisted under DATA_DIR unless `inMemory`. Applies migrations and creates queues and buckets, so
 * every command starts on a ready world. With everything set, it only migrates.
 */
export async function startLocalStack(config: Config, options: { inMemory?: boolean } = {}): Promise<LocalStack> {
  const dataDir = options.inMemory ? undefined : resolve(config.local.dataDir);
  const stops: Array<() => Promise<void>> = [];
  let next: Config = config;
  try {
    if (!config.databaseUrl) {
      const pg = await startEmbeddedPostgres(dataDir && join(dataDir, 'postgres'));
      stops.push(pg.stop);
      next = { ...next, databaseUrl: pg.url, databasePoolMax: 1 };
    }
    if (!usesRealAws(config)) {
      const aws = await startEmbeddedAws(config.local.awsPort, dataDir && join(dataDir, 'aws'));
      stops.push(aws.stop);
      next = {
        ...next,
        aws: { ...next.aws, endpoint: aws.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
        publicMediaBaseUrl: next.publicMediaBaseUrlSet
          ? next.publicMediaBaseUrl
          : `${aws.endpoint}/${next.buckets.media}`,
      };
      const clients = createAwsClients(next);
      const urls = await provisionLocalResources(next, clients).finally(() => {
        clients.sqs.destroy();
        clients.s3.destroy();
      });
      next = { ...next, queue: { ...next.queue, url: urls.queueUrl, dlqUrl: urls.dlqUrl } };
    }
    const { db, pool } = createDb(next.databaseUrl!, 1);
    await runMigrations(db).finally(() => pool.end());
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    throw error;
  }
  return {
    config: next,
    embedded: { postgres: !config.databaseUrl, aws: !usesRealAws(config) },
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}
