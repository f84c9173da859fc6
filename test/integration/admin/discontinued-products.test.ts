import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportProgress } from '../../../src/admin/import-progress.ts';
import type { ProductPage } from '../../../src/admin/list-products.ts';
import { type AdminServer, startAdminServer } from '../../helpers/admin-server.ts';
import { importFile } from '../../helpers/catalog.ts';
import { runCli, runCliJson } from '../../helpers/cli.ts';
import { itOnServer } from '../../helpers/environment.ts';
import { buildCsv } from '../../helpers/spreadsheets.ts';

const token = 'discontinued-test-token-0123456789';
const catalog = (...skus: string[]) => buildCsv([['SKU', 'Product Name'], ...skus.map((sku) => [sku, `Item ${sku}`])]);

/**
 * A full catalog that lacks a product discontinues it (kept, not deleted): the admin sees which, since
 * when and by which import, in the products listing (API, CLI) and on the import; a filter either way.
 */
describe('discontinued products in the listings', () => {
  let admin: AdminServer;
  let dataDir: string;
  let firstImport: number;
  let removedBy: number;

  const get = async <T>(path: string) => {
    const response = await fetch(`${admin.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as T & { error?: string; fields?: string[] } };
  };
  const skus = async (query: string) => (await get<ProductPage>(`/api/products${query}`)).body.products.map((p) => p.sku);
  /** The CLI as its own process on this test's database. */
  const cli = (...args: string[]) => runCli(dataDir, args, { DATABASE_URL: admin.ctx.config.databaseUrl! });
  const cliJson = (...args: string[]) => runCliJson(dataDir, args, { DATABASE_URL: admin.ctx.config.databaseUrl! });

  beforeAll(async () => {
    admin = await startAdminServer(token);
    dataDir = await mkdtemp(join(tmpdir(), 'catalog-discontinued-'));
    ({ importId: firstImport } = await importFile(admin.ctx, 'full', 'catalog.csv', catalog('A-1', 'A-2', 'A-3'), { fullCatalog: true }));
    await importFile(admin.ctx, 'other', 'other.csv', catalog('O-1'));
    ({ importId: removedBy } = await importFile(admin.ctx, 'full', 'catalog.csv', catalog('A-1', 'A-3'), { fullCatalog: true }));
  }, 120_000);
  afterAll(async () => {
    await admin?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('the import says how many products it discontinued', async () => {
    const { body } = await get<ImportProgress[]>('/api/imports?supplier=full');
    expect(body.map((i) => [i.importId, i.status, i.productsDiscontinued])).toEqual([
      [removedBy, 'done', 1],
      [firstImport, 'done', 0],
    ]);
  });

  it('each product carries when and by which import it was discontinued, null while current', async () => {
    const { status, body } = await get<ProductPage>('/api/products');
    expect(status).toBe(200);
    expect(body.products.map((p) => [p.supplier, p.sku, p.discontinuedByImportId])).toEqual([
      ['full', 'A-1', null],
      ['full', 'A-2', removedBy],
      ['full', 'A-3', null],
      ['other', 'O-1', null],
    ]);
    const discontinued = body.products.find((p) => p.sku === 'A-2')!;
    expect(new Date(discontinued.discontinuedAt!).toISOString()).toBe(discontinued.discontinuedAt);
    expect(body.products.filter((p) => p.discontinuedAt === null).map((p) => p.sku)).toEqual(['A-1', 'A-3', 'O-1']);
  });

  it('filters discontinued or current, with the other filters and the cursor', async () => {
    expect(await skus('?discontinued=true')).toEqual(['A-2']);
    expect(await skus('?discontinued=false')).toEqual(['A-1', 'A-3', 'O-1']);
    expect(await skus('?discontinued=true&supplier=other')).toEqual([]);
    expect(await skus('?discontinued=false&q=a-')).toEqual(['A-1', 'A-3']);
    const first = await get<ProductPage>('/api/products?discontinued=false&limit=2');
    expect(first.body.products.map((p) => p.sku)).toEqual(['A-1', 'A-3']);
    expect(await skus(`?discontinued=false&limit=2&after=${first.body.next}`)).toEqual(['O-1']);
    expect(await get('/api/products?discontinued=maybe')).toMatchObject({ status: 400, body: { fields: ['discontinued'] } });
  });

  itOnServer('the CLI shows the same: imports and products --json, --discontinued, --no-discontinued, and marks it in the table', async () => {
    const imports = await cliJson('imports', '--supplier', 'full');
    expect(imports.map((i: ImportProgress) => [i.importId, i.productsDiscontinued])).toEqual([[removedBy, 1], [firstImport, 0]]);
    const rows = (await cli('imports', '--supplier', 'full')).stderr.split('\n');
    expect(rows[0]).toMatch(/ products +discontinued +images /);
    expect(rows[2]).toMatch(new RegExp(`^${removedBy} .* 0 +1 +0/0 done`));
    expect(rows[3]).toMatch(new RegExp(`^${firstImport} .* 3 +0/0 done`));

    const only = await cliJson('products', '--discontinued');
    expect(only.products).toEqual([expect.objectContaining({ sku: 'A-2', discontinuedByImportId: removedBy, discontinuedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })]);
    expect((await cliJson('products', '--no-discontinued')).products.map((p: { sku: string }) => p.sku)).toEqual(['A-1', 'A-3', 'O-1']);
    const table = (await cli('products', '--supplier', 'full')).stderr.split('\n');
    expect(table.find((line) => line.includes('A-2'))).toMatch(new RegExp(`by import #${removedBy}$`));
    expect(table.find((line) => line.includes('A-1'))).not.toContain('by import');
  }, 120_000);

  it('comes back, the flag cleared, when a later import names it again (full catalog or not)', async () => {
    await importFile(admin.ctx, 'full', 'a-2.csv', catalog('A-2'));
    expect(await skus('?discontinued=true')).toEqual([]);
    const { body } = await get<ProductPage>('/api/products?supplier=full');
    expect(body.products.map((p) => [p.sku, p.discontinuedAt, p.discontinuedByImportId])).toEqual([
      ['A-1', null, null],
      ['A-2', null, null],
      ['A-3', null, null],
    ]);
  });
});
