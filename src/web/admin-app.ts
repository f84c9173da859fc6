import { readFile } from 'node:fs/promises';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import { z } from 'zod';
import { redriveDlq } from '../admin/dlq/redrive-dlq.ts';
import { peekDlq } from '../admin/dlq/peek-dlq.ts';
import { purgeDlq } from '../admin/dlq/purge-dlq.ts';
import { listFailureGroups } from '../admin/failure-groups.ts';
import { listFailures } from '../admin/list-failures.ts';
import { listImports, listSupplierProgress } from '../admin/import-progress.ts';
import { GalleryState, listProducts } from '../admin/list-products.ts';
import { presignUpload } from '../admin/presign-upload.ts';
import { requeueFailedImages } from '../admin/requeue-failed.ts';
import { listRowErrors } from '../admin/row-errors.ts';
import { rowErrorsToCsv } from '../admin/row-errors-csv.ts';
import type { ScheduleControl } from '../admin/schedule/schedule-control.ts';
import { getStatus } from '../admin/status.ts';
import { listSuppliers } from '../admin/suppliers/list-suppliers.ts';
import { showSupplier } from '../admin/suppliers/show-supplier.ts';
import { supplierSettingsChange } from '../admin/suppliers/supplier-settings.ts';
import { updateSupplierSettings } from '../admin/suppliers/update-supplier-settings.ts';
import { fetchFeedNow } from '../feeds/fetch-due-feeds.ts';
import { uploadSpreadsheet } from '../admin/upload-spreadsheet.ts';
import { previewSpreadsheet } from '../catalog/preview-spreadsheet.ts';
import type { AppContext } from '../context.ts';
import { requireBearerToken } from './bearer-token.ts';
import { errorResponse } from './error-response.ts';
import { adminPage } from './admin-page.ts';
import { adminPageScript } from './page-script.ts';
import { validate, validated } from './request-validation.ts';
import { readUploadForm } from './upload-form.ts';

/** How long "fetch now" may fetch over HTTP (see its route). */
const FETCH_NOW_BUDGET_MS = 20_000;

export interface AdminAppDeps {
  schedule: ScheduleControl;
  /** ADMIN_TOKEN; the app refuses to be built without one. */
  token: string | undefined;
  /**
   * How an upload's "import now" runs: 'inline' in the request (dev, where there is no time limit), or
   * 'tick' — ask the schedule for a run now — behind API Gateway, whose 30 s would cut a big import.
   */
  importNow?: 'inline' | 'tick';
}

const id = z.coerce.number().int().positive();
const limit = z.coerce.number().int().min(1).max(1000).optional();
const supplier = z.string().min(1).max(63).optional();
const flag = z.enum(['true', 'false', 'on', '1', '0']).transform((v) => v === 'true' || v === 'on' || v === '1');

/** HTTP APIs stop waiting after 30 s: work an endpoint starts "now" stops claiming more after this. */
const REQUEST_WORK_BUDGET_MS = 15_000;
const requestDeadline = () => Date.now() + REQUEST_WORK_BUDGET_MS;

const schemas = {
  scope: z.strictObject({ supplier, limit }),
  failures: z.strictObject({ supplier, kind: z.string().min(1).optional(), limit }),
  products: z.strictObject({
    supplier,
    import: id.optional(),
    q: z.string().trim().max(200).optional(),
    state: z.enum(Object.values(GalleryState)).optional(),
    discontinued: flag.optional(),
    after: z.string().min(1).max(1000).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  }),
  groups: z.strictObject({ supplier, importId: id.optional() }),
  importId: z.strictObject({ id }),
  supplierCode: z.strictObject({ code: z.string().min(1).max(63) }),
  dlqPeek: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).optional() }),
  requeue: z.strictObject({
    supplier,
    importId: z.number().int().positive().optional(),
    kind: z.string().min(1).optional(),
    ids: z.array(z.number().int().positive()).min(1).max(10_000).optional(),
    since: z.iso.datetime({ offset: true }).transform((s) => new Date(s)).optional(),
    all: z.boolean().optional(),
    dryRun: z.boolean().optional(),
    now: z.boolean().optional(),
  }),
  purge: z.strictObject({ confirm: z.boolean() }),
  rate: z.strictObject({ expression: z.string().min(1).max(256) }),
  upload: z.object({ supplier: z.string().min(1), now: flag.optional() }),
  preview: z.strictObject({ supplier: z.string().min(1) }),
  presign: z.strictObject({ supplier: z.string().min(1), fileName: z.string().min(1).max(255), bytes: z.number().int().positive().optional() }),
};

/** JSON bodies are a few fields (a requeue's ids list is the largest): anything bigger is refused unread. */
export const MAX_JSON_BODY_BYTES = 256 * 1024;

/**
 * The admin HTTP API and page: the same operations as the CLI, as JSON under /api (bearer token),
 * the page at /. Served by the admin Lambda (hono/aws-lambda) and by `dev` (@hono/node-server).
 *
 * @example
 * const app = createAdminApp(ctx, { schedule, token: ctx.config.adminToken });
 * serve({ fetch: app.fetch, port: 3000 });
 */
export function createAdminApp(ctx: AppContext, deps: AdminAppDeps): Hono {
  const auth = requireBearerToken(deps.token);
  const maxUploadBytes = ctx.config.limits.maxUploadBytes;
  const app = new Hono();
  app.onError((error, c) => errorResponse(c, error, ctx.log));

  // The page's buttons change things: no framing (clickjacking), and only its own nonce'd script runs.
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: [NONCE],
        styleSrc: ["'self'", "'unsafe-inline'"],
        // Thumbnails come from the media bucket: on the embedded stack, the emulator over plain HTTP.
        imgSrc: ["'self'", 'data:', 'https:', new URL(ctx.config.publicMediaBaseUrl).origin],
        // Presigned PUTs go straight to the uploads bucket (S3, or the local emulator).
        connectSrc: ["'self'", 'https:', 'http://127.0.0.1:*', 'http://localhost:*'],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    }),
  );
  app.get('/', async (c) => c.html(adminPage({ maxUploadBytes, nonce: c.get('secureHeadersNonce') ?? '', script: await adminPageScript() })));
  app.use('/api/*', auth);

  // A body over its route's limit is refused with 413 as soon as its length is known (Content-Length,
  // or the count while it streams): never read whole.
  const jsonLimit = bodyLimit({
    maxSize: MAX_JSON_BODY_BYTES,
    onError: (c) => c.json({ error: `request body over the ${MAX_JSON_BODY_BYTES}-byte limit` }, 413),
  });
  // Room for the multipart framing around a file of exactly the limit; readUploadForm checks the file itself.
  const uploadLimit = bodyLimit({
    maxSize: maxUploadBytes + 64 * 1024,
    onError: (c) => c.json({ error: `upload over the ${maxUploadBytes}-byte limit (MAX_UPLOAD_BYTES): use a presigned URL` }, 413),
  });
  const uploadRoutes = new Set(['/api/uploads', '/api/uploads/preview']);
  // bodyLimit buffers a body sent without Content-Length to count it: fine for JSON, not for a 200 MB
  // upload. A chunked upload is counted by readUploadForm instead, as it streams to disk.
  const declaresLength = (c: Context) => c.req.header('content-length') !== undefined && c.req.header('transfer-encoding') === undefined;
  app.use('/api/*', (c, next) => {
    if (!uploadRoutes.has(c.req.path)) return jsonLimit(c, next);
    return declaresLength(c) ? uploadLimit(c, next) : next();
  });

  app.get('/api/status', validated('query', schemas.scope.pick({ supplier: true })), async (c) => c.json(await getStatus(ctx, c.req.valid('query'))));
  app.get('/api/imports', validated('query', schemas.scope), async (c) => c.json(await listImports(ctx, c.req.valid('query'))));
  app.get('/api/suppliers', async (c) => c.json(await listSupplierProgress(ctx)));
  app.get('/api/supplier-settings', async (c) => c.json(await listSuppliers(ctx)));
  app.get('/api/supplier-settings/:code', validated('param', schemas.supplierCode), async (c) => c.json(await showSupplier(ctx, c.req.valid('param').code)));
  app.patch('/api/supplier-settings/:code', validated('param', schemas.supplierCode), validated('json', supplierSettingsChange), async (c) => {
    const result = await updateSupplierSettings(ctx, c.req.valid('param').code, c.req.valid('json'));
    return c.json(result, result.created ? 201 : 200);
  });
  // "Fetch now": 200 with how the fetch ended (a failed fetch too: it is recorded like a tick's).
  // Within API Gateway's 29 s, with room to store the body: a longer fetch is recorded as a timeout
  // and left to the next tick, rather than cut off unrecorded.
  app.post('/api/supplier-settings/:code/fetch', validated('param', schemas.supplierCode), async (c) =>
    c.json(await fetchFeedNow(ctx, c.req.valid('param').code, { deadline: Date.now() + FETCH_NOW_BUDGET_MS })),
  );
  app.get('/api/imports/:id/errors.csv', validated('param', schemas.importId), async (c) => {
    const { id: importId } = c.req.valid('param');
    c.header('content-disposition', `attachment; filename="import-${importId}-errors.csv"`);
    return c.body(rowErrorsToCsv(await listRowErrors(ctx, importId)), 200, { 'content-type': 'text/csv; charset=utf-8' });
  });
  app.get('/api/products', validated('query', schemas.products), async (c) => {
    const { import: importId, ...filter } = c.req.valid('query');
    return c.json(await listProducts(ctx, { ...filter, importId }));
  });
  app.get('/api/failures', validated('query', schemas.failures), async (c) => c.json(await listFailures(ctx, c.req.valid('query'))));
  app.get('/api/failures/groups', validated('query', schemas.groups), async (c) => c.json(await listFailureGroups(ctx, c.req.valid('query'))));
  app.post('/api/requeue', validated('json', schemas.requeue), async (c) => {
    const { dryRun, now, ids, ...filter } = c.req.valid('json');
    return c.json(await requeueFailedImages(ctx, { ...filter, ...(ids ? { imageIds: ids } : {}) }, { dryRun, now, deadline: requestDeadline() }));
  });

  app.get('/api/dlq', validated('query', schemas.dlqPeek), async (c) => c.json(await peekDlq(ctx, c.req.valid('query'))));
  app.post('/api/dlq/redrive', async (c) => c.json(await redriveDlq(ctx)));
  app.post('/api/dlq/purge', validated('json', schemas.purge), async (c) => c.json(await purgeDlq(ctx, c.req.valid('json'))));

  app.get('/api/schedule', async (c) => c.json(await deps.schedule.status()));
  app.post('/api/schedule/pause', async (c) => c.json(await deps.schedule.pause()));
  app.post('/api/schedule/resume', async (c) => c.json(await deps.schedule.resume()));
  app.post('/api/schedule/rate', validated('json', schemas.rate), async (c) => c.json(await deps.schedule.setRate(c.req.valid('json').expression)));
  app.post('/api/schedule/trigger', async (c) => c.json(await deps.schedule.trigger()));

  // Multipart read as it streams (readUploadForm): the file goes to a temporary file, then to S3.
  app.post('/api/uploads/preview', async (c) => {
    const form = await readUploadForm(c.req.raw, maxUploadBytes);
    try {
      const fields = validate(schemas.preview, form.fields, 'form');
      if (!form.file) validate(schemas.preview.extend({ file: z.never({ message: 'a file is required' }) }), form.fields, 'form');
      const body = await readFile(form.file!.path);
      return c.json(await previewSpreadsheet(ctx, { supplierCode: fields.supplier, fileName: form.file!.name, body }));
    } finally {
      await form.remove();
    }
  });
  app.post('/api/uploads', async (c) => {
    const form = await readUploadForm(c.req.raw, maxUploadBytes);
    try {
      const fields = validate(schemas.upload, form.fields, 'form');
      if (!form.file) validate(schemas.upload.extend({ file: z.never({ message: 'a file is required' }) }), form.fields, 'form');
      const upload = { supplierCode: fields.supplier, fileName: form.file!.name, body: form.file!.content };
      if (fields.now && deps.importNow === 'tick') {
        const registered = await uploadSpreadsheet(ctx, upload);
        return c.json({ ...registered, run: await deps.schedule.trigger() }, 201);
      }
      return c.json(await uploadSpreadsheet(ctx, upload, { now: fields.now ?? false, deadline: requestDeadline() }), 201);
    } finally {
      await form.remove();
    }
  });
  app.post('/api/uploads/presign', validated('json', schemas.presign), async (c) => {
    const request = c.req.valid('json');
    return c.json(await presignUpload(ctx, { supplierCode: request.supplier, fileName: request.fileName, bytes: request.bytes }), 201);
  });
  return app;
}
