import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson } from '../helpers/cli.ts';
import { buildCsv } from '../helpers/spreadsheets.ts';

describe('CLI supplier settings and dry run, as separate processes on one DATA_DIR', () => {
  let dataDir: string;
  let file: string;

  const cli = (...args: string[]) => runCli(dataDir, args);
  const json = (...args: string[]) => runCliJson(dataDir, args);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'catalog-cli-suppliers-'));
    file = join(dataDir, 'shop.csv');
    await writeFile(
      file,
      buildCsv([
        ['SKU', 'Product Name', 'Web Title', 'Image 1'],
        ['S-1', 'lamp-01', 'Reading lamp', 'https://img.example.test/s1.jpg'],
        ['S-2', 'kettle-02', 'Steel kettle', '/media/s2.jpg'],
      ]),
    );
  });
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('supplier set creates and changes a supplier; show and list print it; bad values exit 1 with one line', { timeout: 300_000 }, async () => {
    const created = await json('supplier', 'set', 'shop', '--name', 'The Shop', '--format', 'generic', '--images', 'Image 1', '--image-base-url', 'https://shop.example.test/');
    expect(created).toMatchObject({
      created: true,
      supplier: { code: 'shop', name: 'The Shop', format: 'generic', columnMapping: { images: ['Image 1'] }, imageBaseUrl: 'https://shop.example.test/' },
    });

    for (const [args, reason] of [
      [['supplier', 'set', 'shop', '--image-base-url', 'file:///etc/passwd'], '--image-base-url: must be an http(s) URL'],
      [['supplier', 'set', 'shop', '--format', 'ebay'], '--format: '],
      [['supplier', 'show', 'nobody'], 'no supplier "nobody"'],
    ] as const) {
      const refused = await cli(...args);
      expect({ args, code: refused.code, stdout: refused.stdout }).toEqual({ args, code: 1, stdout: '' });
      expect(refused.stderr.trim().split('\n')).toEqual([expect.stringContaining(reason)]);
    }

    expect(await json('supplier', 'show', 'shop')).toMatchObject({ code: 'shop', format: 'generic', imageBaseUrl: 'https://shop.example.test/' });
    expect(await json('supplier', 'list')).toEqual([expect.objectContaining({ code: 'shop', name: 'The Shop', products: 0, imports: 0 })]);
    const human = await cli('supplier', 'show', 'shop');
    expect(human.stderr).toContain('image base URL:  https://shop.example.test/');
  });

  it('upload --dry-run shows what would change and writes nothing; after a mapping change the same file imports again', { timeout: 300_000 }, async () => {
    const preview = await json('upload', file, '--supplier', 'shop', '--dry-run');
    expect(preview).toMatchObject({
      format: 'generic',
      mapping: { sku: ['SKU'], title: ['Product Name'], images: ['Image 1'] },
      rows: { total: 2, products: 2, rejected: 0 },
      products: { new: 2, changed: 0, unchanged: 0 },
    });
    expect(await json('imports')).toEqual([]);
    const human = await cli('upload', file, '--supplier', 'shop', '--dry-run');
    expect(human.stderr).toContain('products: 2 new, 0 changed, 0 unchanged');
    expect(human.stderr).toContain('nothing was written');

    const first = await json('upload', file, '--supplier', 'shop', '--now');
    expect(first.imports).toEqual([expect.objectContaining({ status: 'done', rowsImported: 2 })]);

    await json('supplier', 'set', 'shop', '--title', 'Web Title');
    const again = await cli('upload', file, '--supplier', 'shop', '--now');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`same file as import #${first.importId}, but the supplier's settings changed since: importing again`);
    const { products } = (await json('products', '--supplier', 'shop')) as { products: Array<{ sku: string; title: string }> };
    const titles = products.map((p) => [p.sku, p.title]);
    expect(titles).toEqual([['S-1', 'Reading lamp'], ['S-2', 'Steel kettle']]);
  });
});
