import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config.ts';
import { createDb } from '../db/client.ts';
import { defaultMigrationsDir, runMigrations } from '../db/migrate.ts';
import type { Log } from '../observability/logger.ts';
import { startEmbeddedPostgres } from './postgres.ts';

export interface LocalStack {
  /** The config with the embedded endpoints filled in; hand it to createContext. */
  config: Config;
  /** What runs embedded, for the CLI to say so. */
  embedded: { postgres: boolean; aws: boolean };
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** Nothing persisted under DATA_DIR; the emulator on a free port of this process's own (tests). */
  inMemory?: boolean;
  /** False: the command touches no queue or bucket, so no emulator is started or reached. */
  aws?: boolean;
  log?: Log;
}

/** Whether the config names real AWS resources; if not, the CLI runs the SQS/S3 emulator itself. */
export function usesRealAws(config: Config): boolean {
  return Boolean(config.aws.endpoint || config.queue.url);
}

/** What the schema would be after every migration: when the embedded database recorded it, there is nothing to run. */
function migrationsFingerprint(): string {
  const hash = createHash('sha256');
  for (const dir of [defaultMigrationsDir, join(defaultMigrationsDir, 'meta')]) {
    for (const entry of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).sort((a, b) => a.name.localeCompare(b.name))) {
      hash.update(entry.name).update(readFileSync(join(dir, entry.name)));
    }
  }
  return hash.digest('hex');
}

const readOr = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The queue and bucket settings provisioning applies: provisioned once, recorded, not asked again. */
function provisioningKey(config: Config): string {
  const { queue, buckets, local } = config;
  return JSON.stringify({ queue: [queue.name, queue.dlqName, queue.maxReceives, queue.retentionSeconds], buckets, visibility: local.visibilityTimeout });
}

async function startEmbeddedAwsFor(config: Config, dataDir: string | undefined, log: Log | undefined) {
  const { createAwsClients } = await import('../aws-clients.ts');
  const { provisionLocalResources, startEmbeddedAws } = await import('./aws.ts');
  const { leaseEmbeddedAws } = await import('./shared-emulator.ts');
  const awsDir = dataDir && join(dataDir, 'aws');
  const emulator = awsDir
    ? await leaseEmbeddedAws(awsDir, config.local.awsPort, log).then((lease) => ({ endpoint: lease.endpoint, stop: lease.release }))
    : await startEmbeddedAws(0);
  const withEndpoint: Config = {
    ...config,
    aws: { ...config.aws, endpoint: emulator.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
    publicMediaBaseUrl: config.publicMediaBaseUrlSet ? config.publicMediaBaseUrl : `${emulator.endpoint}/${config.buckets.media}`,
  };
  try {
    // The emulator keeps its queues and buckets in DATA_DIR: provisioned once per setting, not per command.
    const recordPath = awsDir && join(awsDir, 'provisioned.json');
    const recorded = recordPath ? readOr(recordPath) : undefined;
    const key = provisioningKey(config);
    let urls = recorded && (JSON.parse(recorded) as { key: string; queueUrl: string; dlqUrl: string });
    if (!urls || urls.key !== key) {
      const clients = createAwsClients(withEndpoint);
      const provisioned = await provisionLocalResources(withEndpoint, clients).finally(() => {
        clients.sqs.destroy();
        clients.s3.destroy();
      });
      urls = { key, ...provisioned };
      if (recordPath) writeFileSync(recordPath, JSON.stringify(urls));
    }
    return { config: { ...withEndpoint, queue: { ...withEndpoint.queue, url: urls.queueUrl, dlqUrl: urls.dlqUrl } }, stop: emulator.stop };
  } catch (error) {
    await emulator.stop();
    throw error;
  }
}

/**
 * Fills in what the environment leaves unset: PGlite for DATABASE_URL, DATA_DIR's one fauxqs for
 * AWS_ENDPOINT_URL (started here or shared with the process already running it: see
 * leaseEmbeddedAws), persisted under DATA_DIR unless `inMemory`. Applies migrations (on the embedded
 * database, only when they changed since it last did) and creates queues and buckets, so every
 * command starts on a ready world. With everything set, it only migrates.
 */
export async function startLocalStack(config: Config, options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = options.inMemory ? undefined : resolve(config.local.dataDir);
  const embeddedAws = options.aws !== false && !usesRealAws(config);
  const stops: Array<() => Promise<void>> = [];
  let next: Config = config;
  try {
    const embeddedPostgres = !config.databaseUrl;
    if (embeddedPostgres) {
      const pg = await startEmbeddedPostgres(dataDir && join(dataDir, 'postgres'));
      stops.push(pg.stop);
      next = { ...next, databaseUrl: pg.url, databasePoolMax: 1 };
    }
    if (embeddedAws) {
      const aws = await startEmbeddedAwsFor(next, dataDir, options.log);
      stops.push(aws.stop);
      next = aws.config;
    }
    const fingerprint = embeddedPostgres && dataDir ? migrationsFingerprint() : undefined;
    const fingerprintPath = dataDir && join(dataDir, 'postgres-migrations.sha256');
    if (!fingerprint || readOr(fingerprintPath!) !== fingerprint) {
      const { db, pool } = createDb(next.databaseUrl!, 1);
      await runMigrations(db).finally(() => pool.end());
      if (fingerprint) writeFileSync(fingerprintPath!, fingerprint);
    }
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
