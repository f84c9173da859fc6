import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { AppContext } from '../../src/context.ts';

/** What the invariant check found: counts for the fault report, and one line per broken rule. */
export interface InvariantReport {
  images: number;
  done: number;
  failed: number;
  /** Images not accounted for: stuck in a non-final state, failed without a reason, or done without their object or URL. */
  lost: number;
  lostImageIds: number[];
  /** URLs listed twice on a product, plus objects in the bucket that no done image owns. */
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
 * - every image is done or failed, and a failed one has an error kind and a message;
 * - the bucket holds exactly the distinct s3_keys of done images (keys are content addressed, so two
 *   images may share one object);
 * - every product's image_urls is its done images' URLs in position order, without repeats, each
 *   pointing at an object that exists.
 */
export async function checkPipelineInvariants(ctx: AppContext): Promise<InvariantReport> {
  const problems: string[] = [];
  const lost = new Set<number>();
  let duplicates = 0;
  const { rows: images } = await ctx.pool.query<{
    id: string;
    product_id: string;
    position: number;
    status: string;
    error_kind: string | null;
    last_error: string | null;
    s3_key: string | null;
    url: string | null;
  }>(`SELECT id, product_id, position, status, error_kind, last_error, s3_key, url FROM product_images ORDER BY product_id, position`);
  const keys = await listMediaKeys(ctx);

  const doneKeys = new Set<string>();
  for (const image of images) {
    const id = Number(image.id);
    if (image.status === 'done') {
      if (!image.s3_key || !image.url) {
        problems.push(`image ${id} is done without an s3_key or url`);
        lost.add(id);
        continue;
      }
      doneKeys.add(image.s3_key);
      if (!keys.has(image.s3_key)) {
        problems.push(`image ${id} is done but its object ${image.s3_key} is missing`);
        lost.add(id);
      }
    } else if (image.status === 'failed') {
      if (!image.error_kind || !image.last_error) {
        problems.push(`image ${id} failed without an error kind and message`);
        lost.add(id);
      }
    } else {
      problems.push(`image ${id} is stuck in ${image.status}`);
      lost.add(id);
    }
  }
  for (const key of keys) {
    if (!doneKeys.has(key)) {
      problems.push(`object ${key} belongs to no done image`);
      duplicates += 1;
    }
  }

  const { rows: products } = await ctx.pool.query<{ id: string; image_urls: string[] }>(`SELECT id, image_urls FROM products ORDER BY id`);
  const base = `${ctx.config.publicMediaBaseUrl}/`;
  for (const product of products) {
    const mine = images.filter((image) => image.product_id === product.id);
    const expected = mine.filter((image) => image.status === 'done' && image.url).map((image) => image.url!);
    const listed = product.image_urls;
    if (new Set(listed).size !== listed.length) {
      problems.push(`product ${product.id} lists a URL twice: ${listed.join(', ')}`);
      duplicates += listed.length - new Set(listed).size;
    }
    for (const url of listed) {
      if (!url.startsWith(base) || !keys.has(url.slice(base.length))) problems.push(`product ${product.id} lists ${url}, which has no object`);
    }
    if (JSON.stringify(listed) !== JSON.stringify(expected)) {
      problems.push(`product ${product.id} lists [${listed.join(', ')}], its done images are [${expected.join(', ')}]`);
      for (const image of mine) if (image.url && image.status === 'done' && !listed.includes(image.url)) lost.add(Number(image.id));
    }
  }

  return {
    images: images.length,
    done: images.filter((image) => image.status === 'done').length,
    failed: images.filter((image) => image.status === 'failed').length,
    lost: lost.size,
    lostImageIds: [...lost].sort((a, b) => a - b),
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
