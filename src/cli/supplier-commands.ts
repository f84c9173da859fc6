import { type Command, InvalidArgumentError, type Option } from 'commander';
import { listSuppliers } from '../admin/suppliers/list-suppliers.ts';
import { showSupplier } from '../admin/suppliers/show-supplier.ts';
import { type SupplierSettings, supplierSettingsChange } from '../admin/suppliers/supplier-settings.ts';
import { updateSupplierSettings } from '../admin/suppliers/update-supplier-settings.ts';
import { SupplierFormat } from '../db/schema.ts';
import type { FeedFetchResult } from '../feeds/fetch-supplier-feed.ts';
import { nextAttemptText } from './feed-lines.ts';
import { emit, table } from './output.ts';
import { durationSeconds, onOff } from './parse-options.ts';
import { withSession } from './session.ts';

const mappingText = (s: SupplierSettings) =>
  Object.entries(s.columnMapping)
    .map(([field, headers]) => `${field} ← ${[headers].flat().map((h) => JSON.stringify(h)).join(', ')}`)
    .join('; ') || 'guessed from the headers';

const limitsText = (s: SupplierSettings) =>
  [
    s.fetchLimits.maxConcurrency === undefined ? undefined : `${s.fetchLimits.maxConcurrency} downloads at once per host`,
    s.fetchLimits.maxRate === undefined ? undefined : `${s.fetchLimits.maxRate} requests/s per host`,
  ]
    .filter(Boolean)
    .join(', ') || 'the fleet defaults (FETCH_HOST_MAX_CONCURRENCY, FETCH_HOST_MAX_RPS)';

const feedText = (s: SupplierSettings) => {
  if (!s.feedUrl) return '(none: files are uploaded)';
  const every = s.feedIntervalSeconds === null ? 'every tick' : `at most every ${s.feedIntervalSeconds} s`;
  const headers = Object.entries(s.feedHeaders).map(([name, secret]) => `${name} from ${secret}`);
  return [s.feedUrl, s.feedEnabled ? every : 'off', ...(s.feedFullCatalog ? ['full catalog'] : []), ...headers].join(', ');
};

const feedStateText = (s: SupplierSettings) => {
  const next = `next attempt ${nextAttemptText(s.feedEnabled, s.feedNextAttemptAt)}`;
  return s.feedFailuresInRow > 0 ? `failing, ${s.feedFailuresInRow} in a row; ${next}` : next;
};

const describeSupplier = (s: SupplierSettings) =>
  [
    `${s.code} (${s.name})`,
    `format:          ${s.format}`,
    `mapping:         ${mappingText(s)}`,
    `image base URL:  ${s.imageBaseUrl ?? '(none)'}`,
    `fetch limits:    ${limitsText(s)}`,
    `feed:            ${feedText(s)}`,
    ...(s.feedUrl ? [`feed state:      ${feedStateText(s)}`] : []),
    `settings changed ${s.settingsUpdatedAt.toISOString()}`,
  ].join('\n');

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

interface SetOptions {
  name?: string;
  format?: string;
  sku?: string;
  title?: string;
  images?: string[];
  imageBaseUrl?: string;
  maxConcurrency?: string;
  maxRate?: string;
  feedUrl?: string;
  feedInterval?: number | null;
  feed?: boolean;
  feedFullCatalog?: boolean;
  feedHeader?: string[];
  json?: boolean;
}

/** `--feed-header Authorization=FEED_SECRET_ACME`, repeated; one `""` removes every header. */
function feedHeaderSecrets(values: string[]): Record<string, string> | null {
  if (values.every((v) => v === '')) return null;
  return Object.fromEntries(
    values.map((value) => {
      const at = value.indexOf('=');
      if (at < 1) throw new InvalidArgumentError(`--feed-header: expected HEADER=FEED_SECRET_NAME, got ${JSON.stringify(value)}`);
      return [value.slice(0, at).trim(), value.slice(at + 1).trim()];
    }),
  );
}

/** `--sku ""` and friends clear a setting (back to guessing, or no base URL); absent flags keep it. */
function settingsChange(options: SetOptions) {
  const orClear = (value: string | undefined) => (value === '' ? null : value);
  const asNumber = (value: string | undefined) => (value === undefined ? undefined : value === '' ? null : Number(value));
  const parsed = supplierSettingsChange.safeParse({
    name: options.name,
    format: options.format,
    sku: orClear(options.sku),
    title: orClear(options.title),
    images: options.images && (options.images.every((h) => h === '') ? null : options.images),
    imageBaseUrl: orClear(options.imageBaseUrl),
    maxConcurrency: asNumber(options.maxConcurrency),
    maxRate: asNumber(options.maxRate),
    feedUrl: orClear(options.feedUrl),
    feedIntervalSeconds: options.feedInterval,
    feedEnabled: options.feed,
    feedFullCatalog: options.feedFullCatalog,
    feedHeaders: options.feedHeader && feedHeaderSecrets(options.feedHeader),
  });
  if (parsed.success) return parsed.data;
  const flag: Record<string, string> = {
    imageBaseUrl: '--image-base-url',
    maxConcurrency: '--max-concurrency',
    maxRate: '--max-rate',
    feedUrl: '--feed-url',
    feedIntervalSeconds: '--feed-interval',
    feedHeaders: '--feed-header',
  };
  const issue = parsed.error.issues[0]!;
  const field = String(issue.path[0] ?? '');
  throw new InvalidArgumentError(`${flag[field] ?? `--${field}`}: ${issue.message}`);
}

const describeFetch = (f: FeedFetchResult) => {
  const how = `HTTP ${f.httpStatus ?? '-'}, ${f.bytes ?? 0} bytes in ${f.durationMs} ms`;
  if (f.outcome === 'imported') return `${f.supplier}: ${f.url} imported as import ${f.importId} (${how}); the next tick imports it, or run: npm run cli -- run`;
  if (f.outcome === 'unchanged') return `${f.supplier}: ${f.url} unchanged (${f.reason === 'not_modified' ? '304 Not Modified' : 'the same bytes as last time'}): no import`;
  return `${f.supplier}: ${f.url} failed (${f.errorKind}): ${f.error}${backoffText(f)}`;
};

/** After a failure: how many in a row, and when the tick tries again (fetch now does not wait for it). */
const backoffText = (f: FeedFetchResult) =>
  f.outcome === 'failed' && f.failuresInRow !== undefined && f.nextAttemptAt !== undefined
    ? `; ${f.failuresInRow} in a row, the tick tries again ${nextAttemptText(true, f.nextAttemptAt)}`
    : '';

/** `supplier list|show|set|fetch`: per-supplier settings without SQL, and a feed fetched on demand. */
export function registerSupplierCommands(program: Command, json: Option): void {
  const supplier = program.command('supplier').description('suppliers, how their files are read (format, column mapping, image base URL) and how politely their images are fetched');

  supplier
    .command('list')
    .description('every supplier with its settings, products and imports')
    .addOption(json)
    .action(async (options: { json?: boolean }) => {
      await withSession(async ({ ctx }) => {
        const suppliers = await listSuppliers(ctx);
        emit(Boolean(options.json), suppliers, () =>
          table(
            suppliers.map((s) => ({
              code: s.code,
              name: s.name,
              format: s.format,
              mapping: mappingText(s),
              'image base URL': s.imageBaseUrl ?? '',
              products: s.products,
              imports: s.imports,
            })),
          ),
        );
      }, { aws: false });
    });

  supplier
    .command('show <code>')
    .description("one supplier's settings")
    .addOption(json)
    .action(async (code: string, options: { json?: boolean }) => {
      await withSession(async ({ ctx }) => {
        const settings = await showSupplier(ctx, code);
        emit(Boolean(options.json), settings, () => describeSupplier(settings));
      }, { aws: false });
    });

  supplier
    .command('set <code>')
    .description('change how a supplier\'s files are read (creates the supplier if new); "" clears a setting')
    .option('--name <name>', 'display name')
    .option('--format <format>', `${Object.values(SupplierFormat).join('|')} (auto: detected from the headers)`)
    .option('--sku <header>', 'the SKU column')
    .option('--title <header>', 'the title column')
    .option('--images <header>', 'an image column; repeat for several, in image order', collect)
    .option('--image-base-url <url>', 'http(s) URL that relative image paths resolve against')
    .option('--max-concurrency <n>', "downloads at once per host for this supplier's images, across every worker")
    .option('--max-rate <r>', "requests per second per host for this supplier's images, across every worker")
    .option('--feed-url <url>', 'the catalog URL the scheduled tick fetches and imports when it changed')
    .option('--feed-interval <duration>', 'least time between two fetches of the feed (24h, 90m); "" : every tick', durationSeconds)
    .option('--feed <on|off>', 'fetch the feed or not', onOff)
    .option('--feed-full-catalog <on|off>', 'the feed is the whole catalog: products missing from it are marked discontinued', onOff)
    .option('--feed-header <header=secret>', 'a request header whose value is in that FEED_SECRET_* variable; repeat for several', collect)
    .addOption(json)
    .action(async (code: string, options: SetOptions) => {
      const change = settingsChange(options);
      await withSession(async ({ ctx }) => {
        const result = await updateSupplierSettings(ctx, code, change);
        emit(Boolean(options.json), result, () =>
          [
            result.created
              ? `supplier ${code} created`
              : result.settingsChanged
                ? `supplier ${code} updated: files imported before are imported again on their next upload`
                : `supplier ${code}: how its files are read is unchanged`,
            describeSupplier(result.supplier),
          ].join('\n'),
        );
      }, { aws: false });
    });

  supplier
    .command('fetch <code>')
    .description("fetch the supplier's feed now, due or not; a new body is registered as an import (exit 1 when the fetch fails)")
    .addOption(json)
    .action(async (code: string, options: { json?: boolean }) => {
      await withSession(async ({ ctx }) => {
        const { fetchFeedNow } = await import('../feeds/fetch-due-feeds.ts');
        const result = await fetchFeedNow(ctx, code);
        // `supplier fetch x && next-step` must stop when the feed could not be fetched; --json still prints the record.
        if (options.json || result.outcome !== 'failed') emit(Boolean(options.json), result, () => describeFetch(result));
        if (result.outcome === 'failed') throw new Error(`feed of ${code} failed (${result.errorKind}): ${result.error}${backoffText(result)}`);
      });
    });
}
