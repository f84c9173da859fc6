import { listFailureGroups } from '../src/admin/failure-groups.ts';
import { listImports, listSupplierProgress } from '../src/admin/import-progress.ts';
import { listProducts } from '../src/admin/list-products.ts';
import { getStatus } from '../src/admin/status.ts';
import type { AppContext } from '../src/context.ts';
import { ClaimKind, claimSources } from '../src/queue/claim-pending-images.ts';
import { enqueuePendingImages } from '../src/queue/enqueue.ts';
import { queueDepth } from '../src/queue/queue-depth.ts';
import { startTestEnvironment } from '../test/helpers/environment.ts';
import { countQueries, type QueryCounter } from './count-queries.ts';
import { countSqsCalls } from './enqueue.ts';
import { importSheet, ingestScript } from './ingest.ts';
import { round, timed } from './measure.ts';
import { supplierSheet } from './spreadsheets.ts';

export interface ApiTiming {
  /** Best wall time of three calls of the function, SQS calls included (status asks the queue). */
  ms: number;
  /** PostgreSQL time of that call: its statements' send-to-answer times, summed (some run in parallel). */
  sqlMs: number;
  statements: number;
}

export interface ScaleCase {
  products: number;
  images: number;
  /** False: the counting triggers were disabled for this case, to measure what they cost. */
  counted: boolean;
  import: { seconds: number; status: string; peakRssMb: number };
  enqueue?: {
    seconds: number;
    enqueued: number;
    queueDepth: number;
    dbRoundTrips: number;
    sqsCalls: number;
    /** The pending claim (500 rows) at the start and at the end of the run: mean of the first and last ten, ms. */
    claimMsFirst: number;
    claimMsLast: number;
    /** This process's RSS before and after: the in-process emulator holds every message sent. */
    rssMbBefore: number;
    rssMbAfter: number;
  };
  /**
   * Instead of an enqueue (5M messages would not fit in the in-process emulator): every source claimed
   * by the tick's claim 10,000 at a time, then set-based as if the workers had run: 80% done, 1%
   * failed (two kinds), the rest still queued. Every statement goes through the counting triggers.
   */
  states?: { claimSeconds: number; claimMs: number; finishSeconds: number };
  api: { pending: Record<string, ApiTiming>; queued?: Record<string, ApiTiming>; mixed?: Record<string, ApiTiming> };
  /** Bytes on disk (tables, indexes, TOAST) per row. */
  size: { sourcesMb: number; linksMb: number; productsMb: number; bytesPerSource: number; bytesPerLink: number; bytesPerImage: number };
}

export interface ScaleResult {
  cases: ScaleCase[];
  /** Import and enqueue time with the counting triggers over without them, same size, same run. */
  triggerCost: { import: number; enqueue: number } | null;
  /** Enqueue time of the largest case over the one 10× smaller (goal ≤ 11). */
  enqueueRatio: number | null;
  /** The claim's mean time at the end of the largest enqueue over its start (flat: about 1). */
  claimEndOverStart: number | null;
}

const rssMb = () => round(process.memoryUsage().rss / 1024 / 1024, 0);
const mean = (values: readonly number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);

async function timeApi(queries: QueryCounter, call: () => Promise<unknown>): Promise<ApiTiming> {
  let best: ApiTiming | undefined;
  for (let i = 0; i < 3; i++) {
    queries.reset();
    const run = await timed(call);
    const timing = { ms: round(run.wallMs, 1), sqlMs: round(queries.ms(), 1), statements: queries.calls() };
    if (!best || timing.ms < best.ms) best = timing;
  }
  return best!;
}

/** The admin page's and CLI's queries, as the API calls them; the products page a first and a middle one. */
async function timeAdminQueries(ctx: AppContext, queries: QueryCounter, supplier: string) {
  const first = await listProducts(ctx, { limit: 50 });
  let middle = first.next;
  // The cursor of a page in the middle of the catalog: keyset pages cost the same wherever they start.
  const { rows } = await ctx.pool.query<{ supplier_id: number; sku: string }>(
    `SELECT supplier_id, sku FROM products ORDER BY supplier_id, sku OFFSET (SELECT count(*) / 2 FROM products) LIMIT 1`,
  );
  if (rows[0]) middle = Buffer.from(JSON.stringify([rows[0].supplier_id, rows[0].sku])).toString('base64url');
  return {
    status: await timeApi(queries, () => getStatus(ctx)),
    statusOfSupplier: await timeApi(queries, () => getStatus(ctx, { supplier })),
    imports: await timeApi(queries, () => listImports(ctx)),
    suppliers: await timeApi(queries, () => listSupplierProgress(ctx)),
    failureGroups: await timeApi(queries, () => listFailureGroups(ctx)),
    productsFirstPage: await timeApi(queries, () => listProducts(ctx, { limit: 50 })),
    productsMiddlePage: await timeApi(queries, () => listProducts(ctx, { limit: 50, ...(middle ? { after: middle } : {}) })),
  };
}

async function sizes(ctx: AppContext) {
  const { rows } = await ctx.pool.query<{ sources: string; links: string; products: string; n_sources: number; n_links: number }>(`
    SELECT pg_total_relation_size('image_sources') AS sources, pg_total_relation_size('product_images') AS links,
           pg_total_relation_size('products') AS products,
           (SELECT count(*)::int FROM image_sources) AS n_sources, (SELECT count(*)::int FROM product_images) AS n_links`);
  const r = rows[0]!;
  const mb = (bytes: string) => round(Number(bytes) / 1024 / 1024, 0);
  return {
    sourcesMb: mb(r.sources),
    linksMb: mb(r.links),
    productsMb: mb(r.products),
    bytesPerSource: round(Number(r.sources) / r.n_sources, 0),
    bytesPerLink: round(Number(r.links) / r.n_links, 0),
    // An image as a product shows it: its link and its source (one each here: no URL is shared).
    bytesPerImage: round((Number(r.sources) + Number(r.links)) / r.n_links, 0),
  };
}

/**
 * The workers' end of a backlog, set-based: every source claimed by the tick's own claim (10,000 a
 * statement), then 80% done, 1% failed and the rest left queued, in statements of 10,000 sources, each
 * through the counting triggers as a worker batch's would be.
 */
async function settleStates(ctx: AppContext, queries: QueryCounter) {
  queries.reset();
  const claiming = await timed(async () => {
    let claims = 0;
    while ((await claimSources(ctx.pool, ClaimKind.pending, { limit: 10_000, leaseSeconds: 3600 })).length > 0) claims++;
    return claims;
  });
  const claimMs = mean(queries.durations('WITH picked AS'));
  const finishing = await timed(async () => {
    const { rows } = await ctx.pool.query<{ max: string }>(`SELECT max(id) AS max FROM image_sources`);
    for (let from = 0; from < Number(rows[0]!.max); from += 10_000) {
      await ctx.pool.query(
        `UPDATE image_sources
            SET status = CASE WHEN id % 100 = 0 THEN 'failed' ELSE 'done' END,
                error_kind = CASE WHEN id % 200 = 0 THEN 'http_status' WHEN id % 100 = 0 THEN 'not_an_image' END,
                lease_until = NULL, checked_at = now(), updated_at = now()
          WHERE id > $1 AND id <= $1 + 10000 AND id % 100 < 81 AND status = 'queued'`,
        [from],
      );
    }
  });
  return { claimSeconds: round(claiming.wallMs / 1000), claimMs: round(claimMs, 1), finishSeconds: round(finishing.wallMs / 1000) };
}

/**
 * A catalog of `products` × 10 images imported through the normal import path (the CSV of the ingest
 * part), the admin queries timed with the backlog pending, then either every image enqueued into the
 * in-process emulator in one run (enqueue time, the claim's cost at the start and the end, the admin
 * queries once it is queued) or, with `settle`, the workers' end played set-based (see settleStates)
 * and the admin queries timed on that mix; and the tables' size per image. `counted: false` disables
 * the counting triggers first, to measure what they cost the import and the enqueue.
 */
async function scaleCase(products: number, options: { settle?: boolean; counted?: boolean } = {}): Promise<ScaleCase> {
  const counted = options.counted ?? true;
  const env = await startTestEnvironment({ MAX_ROWS: String(Math.max(products, 200_000)) });
  const { ctx } = env;
  try {
    if (!counted) {
      await ctx.pool.query('ALTER TABLE image_sources DISABLE TRIGGER USER');
      await ctx.pool.query('ALTER TABLE product_images DISABLE TRIGGER USER');
      await ctx.pool.query('ALTER TABLE products DISABLE TRIGGER USER');
    }
    const supplier = `bench-scale-${products}`;
    const imported = await importSheet(ctx, await ingestScript(), supplier, await supplierSheet(products, 'csv'), 'csv');
    if (imported.summary.status !== 'done') throw new Error(`scale: import ${imported.summary.status}: ${imported.summary.error}`);
    await ctx.pool.query('VACUUM ANALYZE image_sources, product_images, products');
    const queries = countQueries(ctx.pool);
    const pending = await timeAdminQueries(ctx, queries, supplier);
    const size = await sizes(ctx);
    const base = {
      products,
      images: products * 10,
      counted,
      import: { seconds: round(imported.wallMs / 1000), status: imported.summary.status, peakRssMb: round(imported.peakRssMb, 0) },
      size,
    };
    if (options.settle) {
      const states = await settleStates(ctx, queries);
      return { ...base, states, api: { pending, mixed: await timeAdminQueries(ctx, queries, supplier) } };
    }

    queries.reset();
    const sqsCalls = countSqsCalls(ctx);
    const rssMbBefore = rssMb();
    const run = await timed(() => enqueuePendingImages(ctx));
    const rssMbAfter = rssMb();
    const claims = queries.durations('WITH picked AS');
    const dbRoundTrips = queries.calls();
    const depth = await queueDepth(ctx.sqs, ctx.queueUrl);
    const sent = sqsCalls() - 1;
    const queued = await timeAdminQueries(ctx, queries, supplier);
    return {
      ...base,
      enqueue: {
        seconds: round(run.wallMs / 1000),
        enqueued: run.value.enqueued,
        queueDepth: depth.visible,
        dbRoundTrips,
        sqsCalls: sent,
        // Claims in order: expired (empty), pending × N, the pending claim that finds nothing, revalidation's.
        claimMsFirst: round(mean(claims.slice(1, 11)), 1),
        claimMsLast: round(mean(claims.slice(-12, -2)), 1),
        rssMbBefore,
        rssMbAfter,
      },
      api: { pending, queued },
    };
  } finally {
    await env.stop();
  }
}

/**
 * `npm run bench -- --scale`: 100k and 1M images (10k and 100k products × 10) imported and enqueued;
 * the 100k case again without the counting triggers (what they cost); then, with `settleProducts`,
 * 5M images (500k products) imported and settled (see settleStates).
 */
export async function benchScale(
  productCounts: readonly number[],
  say: (message: string) => void,
  settleProducts?: number,
): Promise<ScaleResult> {
  const cases: ScaleCase[] = [];
  const first = productCounts[0]!;
  say(`scale: ${first * 10} images without the counting triggers, imported and enqueued`);
  const uncounted = await scaleCase(first, { counted: false });
  for (const products of productCounts) {
    say(`scale: ${products * 10} images (${products} products × 10), imported, enqueued, admin queries timed`);
    cases.push(await scaleCase(products));
  }
  if (settleProducts) {
    say(`scale: ${settleProducts * 10} images (${settleProducts} products × 10), imported, settled, admin queries timed`);
    cases.push(await scaleCase(settleProducts, { settle: true }));
  }
  const enqueued = cases.filter((c) => c.enqueue);
  const [small, large] = [enqueued.at(-2), enqueued.at(-1)];
  const counted = cases[0]!;
  return {
    cases: [uncounted, ...cases],
    triggerCost: {
      import: round(counted.import.seconds / uncounted.import.seconds),
      enqueue: round(counted.enqueue!.seconds / uncounted.enqueue!.seconds),
    },
    enqueueRatio: small && large && small !== large ? round(large.enqueue!.seconds / small.enqueue!.seconds) : null,
    claimEndOverStart: large && large.enqueue!.claimMsFirst > 0 ? round(large.enqueue!.claimMsLast / large.enqueue!.claimMsFirst) : null,
  };
}
