import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { AppContext } from '../../src/context.ts';
import { countsFromScratch, keptCounts } from './image-counts.ts';

/** What the invariant check found: counts for the fault report, and one line per broken rule. */
export interface InvariantReport {
  /** Image sources (one per distinct URL): the downloads. */
  sources: number;
  done: number;
  failed: number;
  /** Sources not accounted for: stuck in a non-final state, failed without a reason, done without their object or URL, or done but missing from a product that links them. */
  lost: number;
  lostSourceIds: number[];
  /** URLs listed twice on a product, plus objects in the bucket that no source owns. */
  duplicates: number;
  problems: string[];
}

async function listMediaKeys(ctx: AppContext): Promise<Set<string>> {
  const keys = new Set<string>();
  let token: string | undefined;
  do {
    const page = await ctx.s3.send(new ListObjectsV2Command({ Bucket: ctx.config.buckets.media, ContinuationToken: token }));
    for (const object of page.Contents ?? []) keys.add(object.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/**
 * Checks the end state of a drained pipeline, across the whole database and media bucket:
 * - every image source is done or failed; a failed one has an error kind and a message;
 * - a done source has its s3_key and url, and its object exists (as does the object of a failed
 *   source that keeps the WebP of an earlier success);
 * - every size a source lists (`variants`) exists, and a done source lists its full WebP last;
 * - the bucket holds exactly the distinct s3_keys and variant keys of the sources (keys are content
 *   addressed, so two sources may share one object);
 * - every product's image_urls is the WebP URLs of the sources it links, in position order, each
 *   once (at its first position), each pointing at an object that exists;
 * - the counts the triggers kept (image_counts, product_counts) are the counts from scratch.
 */
export async function checkPipelineInvariants(ctx: AppContext): Promise<InvariantReport> {
  const problems: string[] = [];
  const lost = new Set<number>();
  let duplicates = 0;
  const { rows: sources } = await ctx.pool.query<{
    id: string;
    status: string;
    error_kind: string | null;
    last_error: string | null;
    s3_key: string | null;
    url: string | null;
    variants: Array<{ key: string }> | null;
  }>(`SELECT id, status, error_kind, last_error, s3_key, url, variants FROM image_sources ORDER BY id`);
  const { rows: links } = await ctx.pool.query<{ product_id: string; position: number; source_id: string }>(
    `SELECT product_id, position, source_id FROM product_images ORDER BY product_id, position`,
  );
  const keys = await listMediaKeys(ctx);

  const ownedKeys = new Set<string>();
  for (const source of sources) {
    const id = Number(source.id);
    if (source.status === 'done') {
      if (!source.s3_key || !source.url) {
        problems.push(`source ${id} is done without an s3_key or url`);
        lost.add(id);
        continue;
      }
    } else if (source.status === 'failed') {
      if (!source.error_kind || !source.last_error) {
        problems.push(`source ${id} failed without an error kind and message`);
        lost.add(id);
      }
    } else {
      problems.push(`source ${id} is stuck in ${source.status}`);
      lost.add(id);
    }
    if (source.s3_key) {
      ownedKeys.add(source.s3_key);
      if (!keys.has(source.s3_key)) {
        problems.push(`source ${id} is ${source.status} but its object ${source.s3_key} is missing`);
        lost.add(id);
      }
    }
    if (source.status === 'done' && source.variants?.at(-1)?.key !== source.s3_key) {
      problems.push(`source ${id} is done but its sizes do not end with its full WebP ${source.s3_key}`);
    }
    for (const { key } of source.variants ?? []) {
      ownedKeys.add(key);
      if (!keys.has(key)) {
        problems.push(`source ${id} is ${source.status} but the object ${key} of one of its sizes is missing`);
        lost.add(id);
      }
    }
  }
  for (const key of keys) {
    if (!ownedKeys.has(key)) {
      problems.push(`object ${key} belongs to no source`);
      duplicates += 1;
    }
  }

  const sourceById = new Map(sources.map((source) => [source.id, source]));
  const { rows: products } = await ctx.pool.query<{ id: string; image_urls: string[] }>(`SELECT id, image_urls FROM products ORDER BY id`);
  const base = `${ctx.config.publicMediaBaseUrl}/`;
  for (const product of products) {
    const mine = links.filter((link) => link.product_id === product.id).map((link) => sourceById.get(link.source_id)!);
    const expected = [...new Set(mine.filter((source) => source.url).map((source) => source.url!))];
    const listed = product.image_urls;
    if (new Set(listed).size !== listed.length) {
      problems.push(`product ${product.id} lists a URL twice: ${listed.join(', ')}`);
      duplicates += listed.length - new Set(listed).size;
    }
    for (const url of listed) {
      if (!url.startsWith(base) || !keys.has(url.slice(base.length))) problems.push(`product ${product.id} lists ${url}, which has no object`);
    }
    if (JSON.stringify(listed) !== JSON.stringify(expected)) {
      problems.push(`product ${product.id} lists [${listed.join(', ')}], its linked sources' WebPs are [${expected.join(', ')}]`);
      for (const source of mine) if (source.url && source.status === 'done' && !listed.includes(source.url)) lost.add(Number(source.id));
    }
  }

  const [kept, counted] = await Promise.all([keptCounts(ctx), countsFromScratch(ctx)]);
  for (const key of [...new Set([...Object.keys(kept), ...Object.keys(counted)])].sort()) {
    if (kept[key] !== counted[key]) problems.push(`kept count ${key} is ${kept[key] ?? 0}, counted from scratch ${counted[key] ?? 0}`);
  }

  return {
    sources: sources.length,
    done: sources.filter((source) => source.status === 'done').length,
    failed: sources.filter((source) => source.status === 'failed').length,
    lost: lost.size,
    lostSourceIds: [...lost].sort((a, b) => a - b),
    duplicates,
    problems,
  };
}

/** `checkPipelineInvariants`, throwing with every broken rule listed. Returns the counts. */
export async function assertPipelineInvariants(ctx: AppContext): Promise<InvariantReport> {
  const report = await checkPipelineInvariants(ctx);
  if (report.problems.length > 0) throw new Error(`pipeline invariants broken:\n- ${report.problems.join('\n- ')}`);
  return report;
}
