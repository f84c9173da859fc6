import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../../src/context.ts';
import { createLocalScheduleControl } from '../../../src/local/local-schedule.ts';
import { runTick, RunTrigger } from '../../../src/scheduled/run-tick.ts';
import { createAdminApp } from '../../../src/web/admin-app.ts';
import { listenApp } from '../../../src/web/listen.ts';
import { type AdminServer, startAdminServer } from '../../helpers/admin-server.ts';
import { buildCsv } from '../../helpers/spreadsheets.ts';
import { seedFailedImages } from './seed-failures.ts';

const token = 'test-admin-token-0123456789';
const maxUploadBytes = 4096;

describe('admin HTTP API', () => {
  let admin: AdminServer;
  let ctx: AppContext;

  const call = (path: string, init: RequestInit & { auth?: string | null } = {}) => {
    const { auth = token, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (auth !== null) headers.set('authorization', `Bearer ${auth}`);
    return fetch(`${admin.url}${path}`, { ...rest, headers });
  };
  const postJson = (path: string, body: unknown) =>
    call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const upload = (supplier: string, fileName: string, content: string | Buffer, now = true) => {
    const form = new FormData();
    form.set('supplier', supplier);
    form.set('file', new Blob([content]), fileName);
    if (now) form.set('now', 'true');
    return call('/api/uploads', { method: 'POST', body: form });
  };

  beforeAll(async () => {
    admin = await startAdminServer(token, { MAX_UPLOAD_BYTES: String(maxUploadBytes) });
    ctx = admin.ctx;
  });
  afterAll(() => admin?.stop());

  it('will not start without ADMIN_TOKEN', () => {
    const schedule = createLocalScheduleControl(ctx, () => runTick(ctx, RunTrigger.manual));
    expect(() => createAdminApp(ctx, { schedule, token: undefined })).toThrow(/ADMIN_TOKEN is not set/);
  });

  it('serves the page without a token, and no /api endpoint without the right one', async () => {
    const page = await call('/', { auth: null });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('id="upload-form"');
    // Not frameable, and only the page's own script (carrying this response's nonce) may run.
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(html).toContain(`<script nonce="${nonce}">`);
    // An empty token is a malformed header (RFC 6750 invalid_request, Hono's bearerAuth): 400, not 401.
    for (const [auth, status] of [[null, 401], ['wrong-token', 401], [`${token}x`, 401], ['', 400]] as const) {
      const response = await call('/api/status', { auth });
      expect(response.status).toBe(status);
      expect(await response.json()).toEqual({ error: 'missing or wrong bearer token' });
    }
    expect((await postJson('/api/requeue', { all: true, dryRun: true }).then((r) => r.status))).toBe(200);
    expect((await call('/api/dlq/redrive', { method: 'POST', auth: 'nope' })).status).toBe(401);
  });

  it('answers 400 naming the bad field in queries and bodies', async () => {
    const cases: Array<[Promise<Response>, string]> = [
      [call('/api/imports?limit=lots'), 'limit'],
      [call('/api/imports?colour=red'), 'colour'],
      [call('/api/imports/abc/errors.csv'), 'id'],
      [postJson('/api/requeue', { importId: 'seven' }), 'importId'],
      [postJson('/api/requeue', { since: 'yesterday' }), 'since'],
      [postJson('/api/requeue', { ids: [1, -2] }), 'ids.1'],
      [postJson('/api/dlq/purge', {}), 'confirm'],
      [postJson('/api/schedule/rate', { rate: 'rate(1 hour)' }), 'expression'],
      [postJson('/api/uploads/presign', { supplier: 'acme' }), 'fileName'],
    ];
    for (const [response, field] of cases) {
      const r = await response;
      const body = (await r.json()) as { error: string; fields: string[] };
      expect({ status: r.status, fields: body.fields }).toEqual({ status: 400, fields: expect.arrayContaining([field]) });
      expect(body.error).toContain(field);
    }
    const notJson = await call('/api/requeue', { method: 'POST', body: '{nope' });
    expect(notJson.status).toBe(400);
    const badExpression = await postJson('/api/schedule/rate', { expression: 'rate(1 hours)' });
    expect(badExpression.status).toBe(400);
    expect(await badExpression.json()).toMatchObject({ error: expect.stringContaining('invalid schedule expression') });
    const noFilter = await postJson('/api/requeue', {});
    expect(noFilter.status).toBe(400);
  });

  it('refuses uploads over the limit with 413, whether the body or the file is too big', async () => {
    const huge = await upload('acme', 'huge.csv', Buffer.alloc(maxUploadBytes + 128 * 1024, 'a'));
    expect(huge.status).toBe(413);
    const justOver = await upload('acme', 'over.csv', Buffer.alloc(maxUploadBytes + 1, 'a'));
    expect(justOver.status).toBe(413);
    expect(await justOver.json()).toMatchObject({ kind: 'too_large' });
    const presign = await postJson('/api/uploads/presign', { supplier: 'acme', fileName: 'big.csv', bytes: maxUploadBytes + 1 });
    expect(presign.status).toBe(413);
  });

  it('uploads a spreadsheet, imports it now, and reports progress and the row errors as CSV', async () => {
    const csv = buildCsv([
      ['SKU', 'Product Name', 'Image 1'],
      ['UP-1', 'First, with comma', 'https://img.example.test/1.jpg'],
      ['', 'No SKU "here"', 'https://img.example.test/2.jpg'],
      ['UP-3', 'Third', 'https://img.example.test/3.jpg'],
    ]);
    const response = await upload('upsup', 'upsup.csv', csv);
    expect(response.status).toBe(201);
    const result = (await response.json()) as { importId: number; imports: Array<{ importId: number; rowsImported: number; rowsFailed: number }>; enqueued: { enqueued: number } };
    expect(result.imports).toEqual([expect.objectContaining({ importId: result.importId, rowsImported: 2, rowsFailed: 1 })]);
    expect(result.enqueued.enqueued).toBe(2);

    const imports = (await (await call('/api/imports?supplier=upsup')).json()) as Array<Record<string, unknown>>;
    expect(imports[0]).toMatchObject({
      importId: result.importId,
      status: 'done',
      rowsTotal: 3,
      rowsImported: 2,
      rowsFailed: 1,
      productsUpserted: 2,
      images: { pending: 0, queued: 2, processing: 0, done: 0, failed: 0, total: 2 },
    });
    const suppliers = (await (await call('/api/suppliers')).json()) as Array<Record<string, unknown>>;
    expect(suppliers.find((s) => s.supplier === 'upsup')).toMatchObject({ imports: 1, products: 2, rowsFailed: 1, images: { total: 2, queued: 2 } });

    const report = await call(`/api/imports/${result.importId}/errors.csv`);
    expect(report.headers.get('content-type')).toContain('text/csv');
    const lines = (await report.text()).split('\r\n');
    expect(lines[0]).toBe('row,column,severity,message');
    expect(lines[1]).toMatch(/^3,/);
  });

  it('behind API Gateway, "import now" asks the schedule for a run instead of importing in the request', async () => {
    const ticks: string[] = [];
    const schedule = createLocalScheduleControl(ctx, async () => {
      ticks.push('tick');
      return runTick(ctx, RunTrigger.manual);
    });
    const gateway = await listenApp(createAdminApp(ctx, { schedule, token, importNow: 'tick' }), 0);
    try {
      const form = new FormData();
      form.set('supplier', 'viatick');
      form.set('file', new Blob([buildCsv([['SKU', 'Image'], ['VT-1', 'https://img.example.test/vt.jpg']])]), 'viatick.csv');
      form.set('now', 'true');
      const response = await fetch(`${gateway.url}/api/uploads`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(201);
      const result = (await response.json()) as { importId: number; imports: unknown[]; run: { mode: string } };
      expect(result.imports).toEqual([]);
      expect(result.run.mode).toBe('ran'); // the local timer runs it at once; on AWS it is a one-off schedule
      expect(ticks).toEqual(['tick']);
      const imports = (await (await call('/api/imports?supplier=viatick')).json()) as Array<Record<string, unknown>>;
      expect(imports[0]).toMatchObject({ importId: result.importId, status: 'done', rowsImported: 1 });
    } finally {
      await gateway.close();
    }
  });

  it('hands out a presigned PUT URL whose object the next tick imports', async () => {
    const response = await postJson('/api/uploads/presign', { supplier: 'presigned', fileName: 'big catalog.csv' });
    expect(response.status).toBe(201);
    const presigned = (await response.json()) as { url: string; key: string; method: string };
    expect(presigned.key).toMatch(/^uploads\/presigned\/.+-big-catalog\.csv$/);
    const put = await fetch(presigned.url, { method: 'PUT', body: buildCsv([['SKU', 'Product Name'], ['P-1', 'Presigned']]) });
    expect(put.status).toBe(200);
    const tick = await runTick(ctx, RunTrigger.cli);
    expect(tick.discovered).toBe(1);
    const imports = (await (await call('/api/imports?supplier=presigned')).json()) as Array<Record<string, unknown>>;
    expect(imports[0]).toMatchObject({ status: 'done', rowsImported: 1 });
  });

  it('groups failures by kind with examples, and re-queues one group', async () => {
    await seedFailedImages(ctx, { supplier: 'grp', sku: 'G-1', urls: ['https://g.test/a.jpg', 'https://g.test/b.jpg'], kind: 'http_4xx' });
    await seedFailedImages(ctx, { supplier: 'grp', sku: 'G-2', urls: ['https://g.test/c.jpg'], kind: 'not_an_image' });
    const groups = (await (await call('/api/failures/groups?supplier=grp')).json()) as Array<{ kind: string; count: number; examples: Array<{ sourceUrl: string }> }>;
    expect(groups.map((g) => [g.kind, g.count])).toEqual([['http_4xx', 2], ['not_an_image', 1]]);
    expect(groups[0]!.examples.map((e) => e.sourceUrl).sort()).toEqual(['https://g.test/a.jpg', 'https://g.test/b.jpg']);
    const dry = await (await postJson('/api/requeue', { supplier: 'grp', kind: 'http_4xx', dryRun: true })).json();
    expect(dry).toEqual({ matched: 2, requeued: 0, dryRun: true });
    const done = await (await postJson('/api/requeue', { supplier: 'grp', kind: 'http_4xx', now: true })).json();
    expect(done).toMatchObject({ requeued: 2, enqueued: { enqueued: expect.any(Number) } });
    const after = (await (await call('/api/failures/groups?supplier=grp')).json()) as Array<{ kind: string }>;
    expect(after.map((g) => g.kind)).toEqual(['not_an_image']);
  });

  it('drives the schedule, status and DLQ through the same operations', async () => {
    expect(await (await call('/api/schedule')).json()).toMatchObject({ backend: 'local', enabled: true });
    expect(await (await call('/api/schedule/pause', { method: 'POST' })).json()).toMatchObject({ enabled: false });
    expect(await (await postJson('/api/schedule/rate', { expression: 'rate(15 minutes)' })).json()).toMatchObject({ expression: 'rate(15 minutes)' });
    expect(await (await call('/api/schedule/resume', { method: 'POST' })).json()).toMatchObject({ enabled: true });
    expect(await (await call('/api/schedule/trigger', { method: 'POST' })).json()).toMatchObject({ mode: 'ran', summary: { trigger: 'manual' } });
    const status = (await (await call('/api/status')).json()) as { queue: { oldestAgeSeconds: number | null }; dlq: { visible: number } };
    expect(status.queue.oldestAgeSeconds).toEqual(expect.any(Number)); // images were queued above
    expect(status.dlq.visible).toBe(0);
    expect(await (await call('/api/dlq')).json()).toEqual({ depth: 0, messages: [] });
    expect(await (await call('/api/dlq/redrive', { method: 'POST' })).json()).toEqual({ method: 'copy', moved: 0, notMoved: 0, depth: 0 });
    expect(await (await postJson('/api/dlq/purge', { confirm: true })).json()).toEqual({ purged: 0 });
  });
});
