import { z } from 'zod';
import { AppError } from './errors.ts';
import { parseDuration } from './duration.ts';

/** Raised when the environment does not describe a runnable configuration. */
export class ConfigError extends AppError<'config'> {
  override name = 'ConfigError';

  constructor(message: string) {
    super('config', message);
  }

  get transient(): boolean {
    return false;
  }
}

const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const list = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s) =>
      s
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    );

const optionalUrl = z.url().optional();

/** `30d`, `12h`, `90m` or `600s`, in seconds; `also` is another word accepted (`off`), given back as null. */
function durationOrIssue(value: string, ctx: z.RefinementCtx, also?: string): number | null {
  if (also !== undefined && value.trim().toLowerCase() === also) return null;
  const seconds = parseDuration(value);
  if (seconds === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 30d, 12h, 90m or 600s${also ? `, or ${also}` : ''}; got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return seconds;
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => durationOrIssue(value, ctx) as number);

/**
 * Every environment variable the project reads, in one place. `.env.example` documents the same list.
 * Empty strings count as unset, so `FOO=` in a .env file falls back to the default.
 */
const envSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://').optional(),
  DATABASE_POOL_MAX: int(4, 1, 100),
  // A worker waits at most this for a lock (an import's, another worker's) before retrying the image later.
  DATABASE_LOCK_TIMEOUT_MS: int(1000, 0),
  DATABASE_STATEMENT_TIMEOUT_MS: int(60_000, 0),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: int(60_000, 0),
  // TLS to PostgreSQL (src/db/client.ts); unset: the URL's sslmode decides, as pg reads it.
  DATABASE_SSL: z.enum(['verify-full', 'require', 'disable']).optional(),
  DATABASE_CA_FILE: z.string().optional(),
  // RDS Proxy's endpoint (host, or host:port; port 5432 when left out): every connection goes there, with the
  // user, password and database of DATABASE_URL or the secret, and TLS checked against this name.
  DATABASE_PROXY_ENDPOINT: z
    .string()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?$/, 'must be a host name, or host:port')
    .optional(),
  // Secrets Manager secrets (name or ARN) read at run time instead of DATABASE_URL / ADMIN_TOKEN (Lambda).
  DATABASE_SECRET_ID: z.string().optional(),
  ADMIN_TOKEN_SECRET_ID: z.string().optional(),
  // One secret holding feed header values as JSON ({ "FEED_SECRET_ACME_TOKEN": "Bearer …" }), read when no
  // FEED_SECRET_* variable of the name a header stores is set (src/secrets/feed-secrets.ts).
  FEED_SECRETS_SECRET_ID: z.string().optional(),
  SECRETS_CACHE_TTL_SECONDS: int(300, 0, 86_400),
  AWS_REGION: z.string().default('us-east-1'),
  AWS_ENDPOINT_URL: optionalUrl,
  IMAGES_QUEUE_URL: optionalUrl,
  IMAGES_DLQ_URL: optionalUrl,
  IMAGES_QUEUE_NAME: z.string().default('catalog-images'),
  IMAGES_DLQ_NAME: z.string().default('catalog-images-dlq'),
  MAX_RECEIVES: int(5, 1, 1000),
  MEDIA_BUCKET: z.string().min(3).default('catalog-media'),
  UPLOADS_BUCKET: z.string().min(3).default('catalog-uploads'),
  MEDIA_PREFIX: z.string().default('images/'),
  UPLOADS_PREFIX: z.string().default('uploads/'),
  PUBLIC_MEDIA_BASE_URL: optionalUrl,
  SCHEDULE_NAME: z.string().default('catalog-importer-tick'),
  SCHEDULE_GROUP: z.string().default('default'),
  LOCAL_SCHEDULE_RATE: z.string().default('rate(2 hours)'),
  FETCH_MAX_BYTES: int(25 * 1024 * 1024, 1),
  FETCH_CONNECT_TIMEOUT_MS: int(5_000, 1),
  FETCH_HEADERS_TIMEOUT_MS: int(10_000, 1),
  FETCH_BODY_TIMEOUT_MS: int(30_000, 1),
  FETCH_RESPONSE_TIMEOUT_MS: int(60_000, 1),
  FETCH_MAX_REDIRECTS: int(5, 0, 20),
  FETCH_USER_AGENT: z.string().default('catalog-importer/0.1 (+https://github.com/catalog-importer)'),
  FETCH_ALLOWED_PORTS: list('80,443')
    .transform((ports) => ports.map(Number))
    .pipe(z.array(z.number().int().min(1).max(65535))),
  FETCH_ALLOW_HOSTS: list(''),
  FETCH_PER_HOST_CONCURRENCY: int(8, 1),
  // Downloads in flight per host across every worker instance (the budget in Postgres); 0 turns the budget off.
  FETCH_HOST_MAX_CONCURRENCY: int(8, 0, 1000),
  // Requests started per second per host across every worker; unset: no rate limit, only the concurrency.
  FETCH_HOST_MAX_RPS: z.coerce.number().positive().max(10_000).optional(),
  IMAGE_MAX_PIXELS: int(50_000_000, 1),
  IMAGE_MAX_DIMENSION: int(2048, 16, 16384),
  // Widths of the smaller WebPs made next to the full one (for srcset); ascending, duplicates dropped.
  // `none`: the full WebP alone (one S3 object an image instead of ~3.6; see docs/performance.md).
  IMAGE_WIDTHS: list('320,640,1024')
    .transform((widths) => (widths.length === 1 && widths[0]!.toLowerCase() === 'none' ? [] : widths))
    .transform((widths) => [...new Set(widths.map(Number))].sort((a, b) => a - b))
    .pipe(z.array(z.number().int().min(16).max(16384))),
  WEBP_QUALITY: int(80, 1, 100),
  WEBP_EFFORT: int(2, 0, 6),
  // Effort of the narrower sizes (IMAGE_WIDTHS): 1 makes them 11–17% larger than 2 and saves ~5% of an image's CPU.
  WEBP_SIZES_EFFORT: int(1, 0, 6),
  WORKER_CONCURRENCY: int(4, 1, 64),
  ENQUEUE_CHUNK_SIZE: int(500, 10, 10_000),
  // SQS's MessageRetentionPeriod of the images queue: a queued image is sent again only after it.
  IMAGES_QUEUE_RETENTION_SECONDS: int(4 * 24 * 3600, 60, 14 * 24 * 3600),
  // A done image is re-checked with a conditional GET after this long: `30d`, `12h`, `90m`, `600s`, or `off`.
  IMAGE_REVALIDATE_AFTER: z
    .string()
    .default('30d')
    .transform((value, ctx) => durationOrIssue(value, ctx, 'off')),
  // Past the worker's own timeout (60 s on Lambda), a processing row's worker is gone.
  PROCESSING_LEASE_SECONDS: int(180, 1),
  MAX_UPLOAD_BYTES: int(200 * 1024 * 1024, 1),
  // Supplier feeds (src/feeds/): bytes on the wire (a gzip body inflates up to MAX_UPLOAD_BYTES), and
  // the whole response, which for a catalog of hundreds of MB takes far longer than an image.
  FEED_MAX_BYTES: int(200 * 1024 * 1024, 1),
  FEED_RESPONSE_TIMEOUT_MS: int(600_000, 1),
  // The longest a failing feed waits between two attempts (the backoff doubles up to it; src/feeds/feed-backoff.ts).
  FEED_BACKOFF_MAX: duration('24h'),
  MAX_ROWS: int(200_000, 1),
  // What an xlsx may inflate to; the re-encoded stream exceljs reads has no zip64, hence the 4 GiB ceiling.
  XLSX_MAX_UNCOMPRESSED_BYTES: int(1024 * 1024 * 1024, 1, 0xffff_ffff),
  DATA_DIR: z.string().default('.data'),
  LOCAL_BATCH_SIZE: int(10, 1, 10),
  LOCAL_MAX_CONCURRENCY: int(2, 1, 1000),
  // Longer than one attempt can take (FETCH_RESPONSE_TIMEOUT_MS), as Lambda's 6 × timeout rule ensures on AWS.
  LOCAL_VISIBILITY_TIMEOUT: int(90, 0, 43_200),
  LOCAL_AWS_PORT: int(4566, 0, 65535),
  DEMO_CDN_PORT: int(47800, 0, 65535),
  /** Port of the admin page and API that `dev` serves (0: any free port). */
  DEV_PORT: int(3000, 0, 65535),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).optional(),
});

export type Env = Record<string, string | undefined>;

/** Feed request headers name a secret, never hold it: `FEED_SECRET_<NAME>` variables carry the values. */
export const feedSecretPrefix = 'FEED_SECRET_';

function feedSecrets(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[0].startsWith(feedSecretPrefix)));
}

function withoutEmpty(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
}

/** Reads and validates the configuration. Throws a ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env) {
  const parsed = envSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const conflicts = [
    e.DATABASE_URL && e.DATABASE_SECRET_ID && 'DATABASE_URL and DATABASE_SECRET_ID are both set: keep one',
    e.ADMIN_TOKEN && e.ADMIN_TOKEN_SECRET_ID && 'ADMIN_TOKEN and ADMIN_TOKEN_SECRET_ID are both set: keep one',
    e.DATABASE_CA_FILE && e.DATABASE_SSL !== 'verify-full' && 'DATABASE_CA_FILE is used only with DATABASE_SSL=verify-full',
  ].filter(Boolean);
  if (conflicts.length > 0) throw new ConfigError(`invalid configuration: ${conflicts.join('; ')}`);
  return {
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    databaseTimeouts: {
      lockTimeoutMs: e.DATABASE_LOCK_TIMEOUT_MS,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      idleInTransactionTimeoutMs: e.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    },
    databaseTls: { mode: e.DATABASE_SSL, caFile: e.DATABASE_CA_FILE },
    /** Where connections go instead of the URL's host and port (RDS Proxy); undefined: the URL's. */
    databaseProxyEndpoint: e.DATABASE_PROXY_ENDPOINT,
    /** Read at run time by the Lambda adapters (src/secrets), in place of DATABASE_URL, ADMIN_TOKEN and FEED_SECRET_* variables. */
    secrets: {
      databaseSecretId: e.DATABASE_SECRET_ID,
      adminTokenSecretId: e.ADMIN_TOKEN_SECRET_ID,
      /** Feed header values by FEED_SECRET_* name, for the names no variable holds. */
      feedSecretsId: e.FEED_SECRETS_SECRET_ID,
      cacheTtlSeconds: e.SECRETS_CACHE_TTL_SECONDS,
    },
    aws: {
      region: e.AWS_REGION,
      endpoint: e.AWS_ENDPOINT_URL,
      /** Set only by the embedded stack (the emulator takes any); otherwise the SDK's own chain applies. */
      credentials: undefined as { accessKeyId: string; secretAccessKey: string } | undefined,
    },
    queue: {
      url: e.IMAGES_QUEUE_URL,
      dlqUrl: e.IMAGES_DLQ_URL,
      name: e.IMAGES_QUEUE_NAME,
      dlqName: e.IMAGES_DLQ_NAME,
      maxReceives: e.MAX_RECEIVES,
      /** A message older than this is gone from the queue: only then is its image sent again. */
      retentionSeconds: e.IMAGES_QUEUE_RETENTION_SECONDS,
    },
    buckets: { media: e.MEDIA_BUCKET, uploads: e.UPLOADS_BUCKET },
    mediaPrefix: e.MEDIA_PREFIX,
    uploadsPrefix: e.UPLOADS_PREFIX,
    publicMediaBaseUrl: (
      e.PUBLIC_MEDIA_BASE_URL ?? `https://${e.MEDIA_BUCKET}.s3.${e.AWS_REGION}.amazonaws.com`
    ).replace(/\/+$/, ''),
    /** False when the public base URL was derived, so the embedded stack may point it at the emulator. */
    publicMediaBaseUrlSet: e.PUBLIC_MEDIA_BASE_URL !== undefined,
    schedule: {
      name: e.SCHEDULE_NAME,
      group: e.SCHEDULE_GROUP,
      localRate: e.LOCAL_SCHEDULE_RATE,
    },
    fetch: {
      maxBytes: e.FETCH_MAX_BYTES,
      connectTimeoutMs: e.FETCH_CONNECT_TIMEOUT_MS,
      headersTimeoutMs: e.FETCH_HEADERS_TIMEOUT_MS,
      bodyTimeoutMs: e.FETCH_BODY_TIMEOUT_MS,
      /** Whole response (headers and body) of one request: stops servers that drip bytes under bodyTimeoutMs. */
      responseTimeoutMs: e.FETCH_RESPONSE_TIMEOUT_MS,
      maxRedirects: e.FETCH_MAX_REDIRECTS,
      userAgent: e.FETCH_USER_AGENT,
      allowedPorts: e.FETCH_ALLOWED_PORTS,
      allowHosts: e.FETCH_ALLOW_HOSTS,
      perHostConcurrency: e.FETCH_PER_HOST_CONCURRENCY,
    },
    /** The fleet-wide per-host budget (src/images/host-budget/); suppliers may override both limits. */
    hostBudget: {
      /** 0: off (each process keeps only FETCH_PER_HOST_CONCURRENCY). */
      maxConcurrency: e.FETCH_HOST_MAX_CONCURRENCY,
      maxRate: e.FETCH_HOST_MAX_RPS ?? null,
      /** A slot's lease: a rate wait plus one whole download, then a margin; a dead worker's slot returns after it. */
      slotLeaseSeconds: Math.ceil(e.FETCH_RESPONSE_TIMEOUT_MS / 1000) + 5,
    },
    image: {
      maxPixels: e.IMAGE_MAX_PIXELS,
      maxDimension: e.IMAGE_MAX_DIMENSION,
      widths: e.IMAGE_WIDTHS,
      quality: e.WEBP_QUALITY,
      effort: e.WEBP_EFFORT,
      sizesEffort: e.WEBP_SIZES_EFFORT,
    },
    worker: { concurrency: e.WORKER_CONCURRENCY },
    enqueue: {
      chunkSize: e.ENQUEUE_CHUNK_SIZE,
      processingLeaseSeconds: e.PROCESSING_LEASE_SECONDS,
      /** Seconds after which a done image is re-checked; null: never. */
      revalidateAfterSeconds: e.IMAGE_REVALIDATE_AFTER,
    },
    feeds: {
      maxBytes: e.FEED_MAX_BYTES,
      responseTimeoutMs: e.FEED_RESPONSE_TIMEOUT_MS,
      /** A failing feed is tried again at least this often, however long its backoff has grown. */
      backoffMaxSeconds: e.FEED_BACKOFF_MAX,
      /** FEED_SECRET_* variables by name: the values a supplier's feed headers refer to (before FEED_SECRETS_SECRET_ID's). */
      secrets: feedSecrets(withoutEmpty(env)),
    },
    limits: { maxUploadBytes: e.MAX_UPLOAD_BYTES, maxRows: e.MAX_ROWS, xlsxMaxUncompressedBytes: e.XLSX_MAX_UNCOMPRESSED_BYTES },
    local: {
      dataDir: e.DATA_DIR,
      batchSize: e.LOCAL_BATCH_SIZE,
      maxConcurrency: e.LOCAL_MAX_CONCURRENCY,
      visibilityTimeout: e.LOCAL_VISIBILITY_TIMEOUT,
      awsPort: e.LOCAL_AWS_PORT,
      demoCdnPort: e.DEMO_CDN_PORT,
      devPort: e.DEV_PORT,
    },
    adminToken: e.ADMIN_TOKEN,
    /** Unset: each adapter picks its own default (INFO in Lambda, WARN in the CLI). */
    logLevel: e.LOG_LEVEL,
  };
}

export type Config = ReturnType<typeof loadConfig>;
