import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadSpreadsheet } from '../../../src/admin/upload-spreadsheet.ts';
import type { SpreadsheetPreview } from '../../../src/catalog/preview-spreadsheet.ts';
import type { AppContext } from '../../../src/context.ts';
import { type AdminServer, startAdminServer } from '../../helpers/admin-server.ts';
import { buildCsv } from '../../helpers/spreadsheets.ts';

const token = 'test-admin-token-0123456789';

describe('supplier settings and the dry run over the HTTP API', () => {
  let admin: AdminServer;
  let ctx: AppContext;

  const call = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(`${admin.url}${path}`, { ...init, headers });
  };
  const patch = (code: string, body: unknown) =>
    call(`/api/supplier-settings/${code}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const supplierRow = async (code: string) =>
    (await ctx.pool.query(`SELECT name, format, column_mapping, image_base_url, settings_updated_at FROM suppliers WHERE code = $1`, [code])).rows[0];

  beforeAll(async () => {
    admin = await startAdminServer(token);
    ctx = admin.ctx;
  });
  afterAll(() => admin?.stop());

  it('creates a supplier with its settings, then changes one field and keeps the others', async () => {
    const created = await patch('magento-eu', {
      name: 'Magento EU',
      format: 'magento',
      sku: 'sku',
      images: ['base_image', 'additional_images'],
      imageBaseUrl: 'https://shop.example.test/media/catalog/product',
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      created: true,
      supplier: {
        code: 'magento-eu',
        name: 'Magento EU',
        format: 'magento',
        columnMapping: { sku: 'sku', images: ['base_image', 'additional_images'] },
        imageBaseUrl: 'https://shop.example.test/media/catalog/product',
      },
    });
    const before = await supplierRow('magento-eu');

    const titled = await patch('magento-eu', { title: 'name' });
    expect(titled.status).toBe(200);
    expect(await titled.json()).toMatchObject({ created: false, settingsChanged: true });
    const after = await supplierRow('magento-eu');
    expect(after).toMatchObject({
      name: 'Magento EU',
      format: 'magento',
      column_mapping: { sku: 'sku', title: 'name', images: ['base_image', 'additional_images'] },
      image_base_url: 'https://shop.example.test/media/catalog/product',
    });
    expect(after.settings_updated_at.getTime()).toBeGreaterThan(before.settings_updated_at.getTime());

    // A rename, or setting what is already set, is no change to how files are read.
    const renamed = await patch('magento-eu', { name: 'Magento Europe', format: 'magento' });
    expect(await renamed.json()).toMatchObject({ settingsChanged: false, supplier: { name: 'Magento Europe' } });
    expect((await supplierRow('magento-eu')).settings_updated_at).toEqual(after.settings_updated_at);

    // null clears: the title goes back to guessing, the base URL to none.
    const cleared = await patch('magento-eu', { title: null, imageBaseUrl: null });
    expect(await cleared.json()).toMatchObject({
      settingsChanged: true,
      supplier: { columnMapping: { sku: 'sku', images: ['base_image', 'additional_images'] }, imageBaseUrl: null },
    });

    const shown = await call('/api/supplier-settings/magento-eu');
    expect(await shown.json()).toMatchObject({ code: 'magento-eu', name: 'Magento Europe', format: 'magento', imageBaseUrl: null });
    const listed = (await (await call('/api/supplier-settings')).json()) as Array<{ code: string; products: number }>;
    expect(listed).toEqual([expect.objectContaining({ code: 'magento-eu', format: 'magento', products: 0, imports: 0 })]);
  });

  it('refuses a base URL that is not http(s), an unknown format or field, and a bad code, naming the field', async () => {
    const cases: Array<[Response, number, string]> = [
      [await patch('acme', { imageBaseUrl: 'ftp://files.example.test/img' }), 400, 'imageBaseUrl'],
      [await patch('acme', { imageBaseUrl: 'javascript:alert(1)' }), 400, 'imageBaseUrl'],
      [await patch('acme', { imageBaseUrl: 'https://user:pw@cdn.example.test/' }), 400, 'imageBaseUrl'],
      [await patch('acme', { format: 'ebay' }), 400, 'format'],
      [await patch('acme', { images: [] }), 400, 'images'],
      [await patch('acme', { colour: 'red' }), 400, 'colour'],
      [await patch('Acme%20Ltd', { format: 'generic' }), 400, 'invalid supplier code'],
      [await call('/api/supplier-settings/nobody'), 404, 'no supplier "nobody"'],
    ];
    for (const [response, status, text] of cases) {
      const { error } = (await response.json()) as { error: string };
      expect({ status: response.status, error }).toEqual({ status, error: expect.stringContaining(text) });
    }
    expect(await supplierRow('acme')).toBeUndefined();
  });

  it('previews an upload read with the supplier\'s settings, and stores or writes nothing', async () => {
    expect((await patch('preview-co', { sku: 'Ref', images: ['Pictures'] })).status).toBe(201);
    const counts = async () =>
      (await ctx.pool.query(`SELECT (SELECT count(*) FROM imports)::int AS imports, (SELECT count(*) FROM products)::int AS products, (SELECT count(*) FROM suppliers)::int AS suppliers`)).rows[0];
    const before = await counts();
    const form = new FormData();
    form.set('supplier', 'preview-co');
    form.set('file', new Blob([buildCsv([['Ref', 'Name', 'Pictures', 'Photo'], ['X-1', 'Lamp', 'https://img.example.test/x1.jpg', 'https://img.example.test/x1b.jpg']])]), 'preview.csv');
    const response = await call('/api/uploads/preview', { method: 'POST', body: form });
    expect(response.status).toBe(200);
    const preview = (await response.json()) as SpreadsheetPreview;
    expect(preview).toMatchObject({
      supplier: { code: 'preview-co', known: true },
      format: 'generic',
      mapping: { sku: ['Ref'], title: ['Name'], images: ['Pictures'] },
      products: { new: 1, changed: 0, unchanged: 0 },
      images: { downloads: 1 },
      sample: [{ sku: 'X-1', imageUrls: ['https://img.example.test/x1.jpg'] }],
    });
    // The image column the mapping leaves out is named, not dropped without a word.
    expect(preview.issues.first).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringContaining('Photo') })]);
    expect(await counts()).toEqual(before);

    const missing = new FormData();
    missing.set('supplier', 'preview-co');
    const refused = await call('/api/uploads/preview', { method: 'POST', body: missing });
    expect({ status: refused.status, body: await refused.json() }).toMatchObject({ status: 400, body: { fields: ['file'] } });
  });

  it('imports the same file again after a mapping change, and says so', async () => {
    const body = Buffer.from(
      buildCsv([
        ['SKU', 'Product Name', 'Marketing Title'],
        ['R-1', 'lamp-01', 'Reading lamp'],
        ['R-2', 'kettle-02', 'Steel kettle'],
      ]),
    );
    const upload = () => uploadSpreadsheet(ctx, { supplierCode: 'remap', fileName: 'remap.csv', body }, { now: true });
    const titles = async () =>
      (await ctx.pool.query(`SELECT p.sku, p.title FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = 'remap' ORDER BY p.sku`)).rows;

    const first = await upload();
    expect(first.imports).toEqual([expect.objectContaining({ importId: first.importId, status: 'done', rowsImported: 2 })]);
    expect(await titles()).toEqual([{ sku: 'R-1', title: 'lamp-01' }, { sku: 'R-2', title: 'kettle-02' }]);

    const unchanged = await upload();
    expect(unchanged).toMatchObject({ duplicateOf: first.importId });
    expect(unchanged).not.toHaveProperty('reimportOf');

    expect((await patch('remap', { title: 'Marketing Title' })).status).toBe(200);
    const remapped = await upload();
    expect(remapped).toMatchObject({ reimportOf: unchanged.importId });
    expect(remapped).not.toHaveProperty('duplicateOf');
    expect(remapped.imports).toEqual([expect.objectContaining({ importId: remapped.importId, status: 'done', productsUpserted: 2 })]);
    expect(await titles()).toEqual([{ sku: 'R-1', title: 'Reading lamp' }, { sku: 'R-2', title: 'Steel kettle' }]);

    // Imported with the new mapping: the next upload of it is the same again.
    expect(await upload()).toMatchObject({ duplicateOf: remapped.importId });
  });

  it('judges "same settings" by when the file was read, not when a resumed merge started', async () => {
    const body = Buffer.from(buildCsv([['SKU', 'Product Name', 'Marketing Title'], ['M-1', 'mug-01', 'Tea mug']]));
    const upload = () => uploadSpreadsheet(ctx, { supplierCode: 'resumed', fileName: 'resumed.csv', body }, { now: true });
    const first = await upload();
    expect(first.imports).toEqual([expect.objectContaining({ importId: first.importId, status: 'done' })]);
    const { rows } = await ctx.pool.query<{ read: boolean }>(`SELECT read_at IS NOT NULL AS read FROM imports WHERE id = $1`, [first.importId]);
    expect(rows).toEqual([{ read: true }]);

    // The mapping changes; the import's merge had crashed and was resumed after the change (started_at
    // moves), but its rows were read before it.
    expect((await patch('resumed', { title: 'Marketing Title' })).status).toBe(200);
    await ctx.pool.query(`UPDATE imports SET started_at = now() + interval '1 second' WHERE id = $1`, [first.importId]);
    const again = await upload();
    expect(again).toMatchObject({ reimportOf: first.importId });
    expect(again).not.toHaveProperty('duplicateOf');
  });
});
