import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateSupplierSettings } from '../../src/admin/suppliers/update-supplier-settings.ts';
import type { AppContext } from '../../src/context.ts';
import { type FixtureCdn, startFixtureCdn } from '../../src/local/fixture-cdn.ts';
import { runLocalWorker } from '../../src/local/local-worker.ts';
import { renderSampleImage } from '../../src/local/sample-images.ts';
import { type AdminServer, startAdminServer } from '../helpers/admin-server.ts';
import { importFile } from '../helpers/catalog.ts';
import { buildCsv } from '../helpers/spreadsheets.ts';

const chromiumPath = '/usr/bin/chromium';
const repoRoot = new URL('../../', import.meta.url).pathname;
const token = 'browser-test-token-0123456789';
const generous = { timeout: 90_000 };

/** Images of the import shown in the page's row: what its progress bar is drawn from. */
async function importProgress(page: Page) {
  const cell = page.locator('#imports-body tr[data-import-id] td.progress').first();
  const [done, failed, total] = await Promise.all(['data-done', 'data-failed', 'data-total'].map((name) => cell.getAttribute(name)));
  return { done: Number(done), failed: Number(failed), total: Number(total) };
}

/**
 * A product's thumbnails as the browser shows them: position, state, and the pixel width of the WebP
 * it loaded (0: not loaded). With a srcset, naturalWidth is scaled to the `sizes` slot, so the width
 * is the `w` of the candidate the browser chose (currentSrc).
 */
async function thumbnails(page: Page, sku: string) {
  return page.locator(`#products-list article[data-sku="${sku}"] li.thumb`).evaluateAll((items) =>
    items.map((item) => {
      // The root project has no DOM types: the properties read, as the browser has them.
      const img = item.querySelector('img') as { complete: boolean; naturalWidth: number; currentSrc: string; srcset: string } | null;
      const chosen = img?.srcset.split(', ').find((candidate) => candidate.split(' ')[0] === img.currentSrc);
      return {
        position: Number(item.getAttribute('data-position')),
        status: item.getAttribute('data-status'),
        loadedWidth: img?.complete && img.naturalWidth > 0 ? Number(chosen?.split(' ')[1]?.slice(0, -1) ?? img.naturalWidth) : 0,
      };
    }),
  );
}

describe('admin page in a real browser', () => {
  let admin: AdminServer;
  let ctx: AppContext;
  let cdn: FixtureCdn;
  let browser: Browser;
  let workDir: string;
  const stopWorker = new AbortController();
  let worker: Promise<unknown>;

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) execFileSync('sh', [join(repoRoot, 'scripts/ensure-chromium.sh')], { stdio: 'inherit' });
    cdn = await startFixtureCdn();
    for (const [n, hue] of [[1, 20], [2, 200]] as const) {
      cdn.set(`/ok/${n}.jpg`, { body: await renderSampleImage({ label: `OK ${n}`, width: 320, height: 240, format: 'jpeg', hue }), contentType: 'image/jpeg' });
    }
    admin = await startAdminServer(token, { FETCH_ALLOW_HOSTS: '127.0.0.1', MAX_RECEIVES: '2' });
    ctx = admin.ctx;
    worker = runLocalWorker(ctx, { untilIdle: false, signal: stopWorker.signal });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
    });
    workDir = await mkdtemp(join(tmpdir(), 'admin-page-'));
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    stopWorker.abort();
    await worker;
    await admin?.stop();
    await cdn?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('uploads a spreadsheet, watches it finish, fixes the dead URLs and re-queues them until every image is done', { timeout: 240_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`${admin.url}/`);

    // Sign in: the token stays in sessionStorage for the tab.
    await page.fill('#token-input', token);
    await page.click('#token-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForSelector('#schedule-line[data-enabled="true"]', generous);

    // Two products, four images; the two under /missing/ are not on the CDN yet (404).
    const file = join(workDir, 'acme.csv');
    await writeFile(
      file,
      buildCsv([
        ['SKU', 'Product Name', 'Image 1', 'Image 2'],
        ['P-1', 'Lamp', cdn.url('/ok/1.jpg'), cdn.url('/missing/3.jpg')],
        ['P-2', 'Kettle', cdn.url('/ok/2.jpg'), cdn.url('/missing/4.jpg')],
      ]),
    );
    await page.fill('#upload-supplier', 'acme');
    await page.setInputFiles('#upload-file', file);
    await page.click('#upload-submit');
    await page.waitForSelector('#message:has-text("import #")', generous);

    // Progress reaches 100 %: every image done or failed.
    await expect.poll(async () => {
      const { done, failed, total } = await importProgress(page);
      return total === 4 && done + failed === total;
    }, generous).toBe(true);
    expect(await importProgress(page)).toEqual({ done: 2, failed: 2, total: 4 });
    expect(await page.locator('#imports-body td.progress .label').textContent()).toContain('100 %');
    const group = page.locator('.group[data-kind="http_4xx"]');
    await expect.poll(() => group.locator('h3').textContent(), generous).toBe('http_4xx · 2');
    expect(await group.locator('li a').allTextContents()).toEqual(expect.arrayContaining([cdn.url('/missing/3.jpg'), cdn.url('/missing/4.jpg')]));

    // The supplier fixes the URLs; the admin re-queues the group.
    for (const [n, hue] of [[3, 90], [4, 300]] as const) {
      cdn.set(`/missing/${n}.jpg`, { body: await renderSampleImage({ label: `FIXED ${n}`, width: 320, height: 240, format: 'jpeg', hue }), contentType: 'image/jpeg' });
    }
    await page.click('button[data-requeue-kind="http_4xx"]');
    await page.waitForSelector('#message:has-text("re-queued")', generous);

    await expect.poll(async () => (await importProgress(page)).done, generous).toBe(4);
    expect(await importProgress(page)).toEqual({ done: 4, failed: 0, total: 4 });
    await page.waitForSelector('#failure-groups:has-text("No failed images")', generous);

    const { rows } = await ctx.pool.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM image_sources GROUP BY status`);
    expect(rows).toEqual([{ status: 'done', n: 4 }]);

    await mkdir(join(repoRoot, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-results/admin.png'), fullPage: true });
  });

  it('shows the catalog: thumbnails from our media in position order, a failed image re-queued where it is seen', { timeout: 240_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`${admin.url}/`);
    await page.fill('#token-input', token);
    await page.click('#token-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');

    // Three sizes, so each thumbnail's loaded width says which picture it is; /shop/late.jpg is a 404 for now.
    // /shop/large.jpg is big enough for every IMAGE_WIDTHS size: its thumbnail must load the smallest.
    const pictures = [['/shop/wide.jpg', 320, 240, 20], ['/shop/tall.jpg', 200, 300, 140], ['/shop/square.jpg', 240, 240, 260], ['/shop/large.jpg', 1400, 1000, 200]] as const;
    for (const [path, width, height, hue] of pictures) {
      cdn.set(path, { body: await renderSampleImage({ label: path.slice(6), width, height, format: 'jpeg', hue }), contentType: 'image/jpeg' });
    }
    const file = join(workDir, 'shop.csv');
    const shopRows = [
      ['SKU', 'Product Name', 'Colour', 'Image 1', 'Image 2', 'Image 3'],
      ['S-1', 'Garden chair', 'green', cdn.url('/shop/tall.jpg'), cdn.url('/shop/wide.jpg'), cdn.url('/shop/square.jpg')],
      ['S-2', 'Parasol', 'white', cdn.url('/shop/square.jpg'), cdn.url('/shop/late.jpg'), ''],
      ['S-3', 'Lounger', 'blue', cdn.url('/shop/large.jpg'), '', ''],
    ];
    await writeFile(file, buildCsv(shopRows));
    await page.fill('#upload-supplier', 'shop');
    await page.setInputFiles('#upload-file', file);
    await page.click('#upload-submit');
    await page.waitForSelector('#message:has-text("import #")', generous);

    await page.click('#products-tab');
    await page.fill('#products-supplier', 'shop');
    await page.click('#products-search');
    // The view is polled: it fills in as the worker finishes.
    await expect.poll(async () => (await thumbnails(page, 'S-2')).map((t) => t.status), generous).toEqual(['done', 'failed']);
    await expect.poll(async () => (await thumbnails(page, 'S-1')).every((t) => t.status === 'done' && t.loadedWidth > 0), generous).toBe(true);
    expect(await thumbnails(page, 'S-1')).toEqual([
      { position: 1, status: 'done', loadedWidth: 200 },
      { position: 2, status: 'done', loadedWidth: 320 },
      { position: 3, status: 'done', loadedWidth: 240 },
    ]);
    // Our own WebPs, lazily loaded, not the supplier's URLs.
    const media = await page.locator('#products-list article[data-sku="S-1"] li.thumb img').evaluateAll((imgs) =>
      imgs.map((img) => ({ src: img.getAttribute('src'), loading: img.getAttribute('loading') })),
    );
    expect(media).toEqual(Array.from({ length: 3 }, () => ({ src: expect.stringMatching(new RegExp(`^${ctx.config.publicMediaBaseUrl}/.+\\.webp$`)), loading: 'lazy' })));
    // A picture with sizes: the browser picks the 320 px WebP for the 150 px box, over its ThumbHash.
    await expect.poll(async () => (await thumbnails(page, 'S-3')).map((t) => t.loadedWidth), generous).toEqual([320]);
    const large = await page.locator('#products-list article[data-sku="S-3"] li.thumb img').evaluate((node) => {
      // The root project has no DOM types: the properties read, as the browser has them.
      const img = node as unknown as { srcset: string; currentSrc: string; src: string; style: { backgroundImage: string } };
      return {
        widths: img.srcset.split(', ').map((candidate) => candidate.split(' ')[1]),
        chosen: img.currentSrc === img.srcset.split(', ')[0]!.split(' ')[0],
        full: img.src === img.srcset.split(', ').at(-1)!.split(' ')[0],
        placeholder: img.style.backgroundImage.startsWith('url("data:image/png;base64,'),
      };
    });
    expect(large).toEqual({ widths: ['320w', '640w', '1024w', '1400w'], chosen: true, full: true, placeholder: true });
    const failed = page.locator('#products-list article[data-sku="S-2"] li.thumb[data-status="failed"]');
    expect(await failed.locator('.state').textContent()).toBe('2. failed · http_4xx');
    expect(await failed.locator('.reason').textContent()).toContain('404');
    expect(await page.locator('#products-list article[data-sku="S-1"] li.thumb').first().locator('.sizes').textContent()).toMatch(/^WebP 200×300 · [\d.]+ KB, original 200×300 · [\d.]+ KB$/);

    if (process.env.SCREENSHOTS === '1') await page.screenshot({ path: join(repoRoot, 'docs/admin-products.png'), fullPage: true });

    // A thumbnail opens the full WebP, with the supplier's original beside it.
    await page.locator('#products-list article[data-sku="S-1"] li.thumb[data-position="2"] button.open').click();
    await page.waitForSelector('#image-dialog[open]');
    expect(await page.getAttribute('#image-dialog-img', 'src')).toBe(media[1]!.src);
    expect(await page.getAttribute('#image-dialog-source', 'href')).toBe(cdn.url('/shop/wide.jpg'));
    await page.click('#image-dialog-close');

    await page.selectOption('#products-state', 'failed');
    await expect.poll(() => page.locator('#products-list article').evaluateAll((items) => items.map((i) => i.getAttribute('data-sku'))), generous).toEqual(['S-2']);

    // The supplier puts the picture up; the admin re-queues that one image from the product.
    cdn.set('/shop/late.jpg', { body: await renderSampleImage({ label: 'late', width: 280, height: 200, format: 'jpeg', hue: 60 }), contentType: 'image/jpeg' });
    await page.click('#products-list article[data-sku="S-2"] button[data-requeue-source]');
    await page.waitForSelector('#message:has-text("1 image re-queued")', generous);
    await page.waitForSelector('#products-list:has-text("No product matches")', generous);

    await page.selectOption('#products-state', 'done');
    await expect.poll(async () => thumbnails(page, 'S-2'), generous).toEqual([
      { position: 1, status: 'done', loadedWidth: 240 },
      { position: 2, status: 'done', loadedWidth: 280 },
    ]);
    const { rows } = await ctx.pool.query(`SELECT status, width, original_bytes > 0 AS original FROM image_sources WHERE source_url = $1`, [cdn.url('/shop/late.jpg')]);
    expect(rows).toEqual([{ status: 'done', width: 280, original: true }]);

    // The supplier's full catalog no longer lists S-3: kept, badged with the import that discontinued it.
    const { importId: fullCatalog } = await importFile(ctx, 'shop', 'full.csv', buildCsv(shopRows.slice(0, 3)), { fullCatalog: true });
    await page.selectOption('#products-state', '');
    await page.selectOption('#products-discontinued', 'true');
    const badges = () => page.locator('#products-list article').evaluateAll((items) => items.map((i) => [i.getAttribute('data-sku'), i.querySelector('.badge')?.textContent]));
    await expect.poll(badges, generous).toEqual([['S-3', `discontinued (import #${fullCatalog})`]]);
    await page.selectOption('#products-discontinued', 'false');
    await expect.poll(badges, generous).toEqual([['S-1', undefined], ['S-2', undefined]]);
    await page.waitForSelector(`#imports-body tr[data-import-id="${fullCatalog}"] .discontinued[data-count="1"]`, { ...generous, state: 'attached' });
  });

  it("sets a supplier's format and image base URL, previews a file with them, then imports it", { timeout: 240_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`${admin.url}/`);
    await page.fill('#token-input', token);
    await page.click('#token-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');

    // Magento writes media paths; the supplier's image base URL makes them downloadable.
    const baseUrl = cdn.url('/media/catalog/product');
    await page.fill('#supplier-code', 'mage');
    await page.selectOption('#supplier-format', 'magento');
    await page.fill('#supplier-base-url', baseUrl);
    await page.click('#supplier-save');
    await page.waitForSelector('#message:has-text("supplier mage created")', generous);
    const { rows: suppliers } = await ctx.pool.query(`SELECT format, image_base_url, column_mapping FROM suppliers WHERE code = 'mage'`);
    expect(suppliers).toEqual([{ format: 'magento', image_base_url: baseUrl, column_mapping: {} }]);
    await page.waitForSelector('#suppliers-body tr[data-supplier="mage"][data-format="magento"]', generous);

    // Edit fills the form with what is stored.
    await page.fill('#supplier-base-url', '');
    await page.click('#suppliers-body tr[data-supplier="mage"] button');
    expect(await page.inputValue('#supplier-base-url')).toBe(baseUrl);
    expect(await page.inputValue('#supplier-format')).toBe('magento');

    for (const [name, hue] of [['mb01.jpg', 40], ['mb01-back.jpg', 140], ['mb02.jpg', 260]] as const) {
      cdn.set(`/media/catalog/product/m/b/${name}`, { body: await renderSampleImage({ label: name, width: 320, height: 240, format: 'jpeg', hue }), contentType: 'image/jpeg' });
    }
    const file = join(workDir, 'catalog_product.csv');
    await writeFile(
      file,
      buildCsv([
        ['sku', 'store_view_code', 'product_type', 'name', 'base_image', 'additional_images'],
        ['MB01', '', 'simple', 'Joust Duffle Bag', '/m/b/mb01.jpg', '/m/b/mb01.jpg,/m/b/mb01-back.jpg'],
        ['MB01', 'de', '', 'Joust Reisetasche', '', ''],
        ['MB02', '', 'simple', 'Strive Shoulder Pack', '/m/b/mb02.jpg', ''],
        ['', '', 'simple', 'No SKU', '', ''],
      ]),
    );
    await page.fill('#upload-supplier', 'mage');
    await page.setInputFiles('#upload-file', file);
    await page.click('#upload-preview');
    await page.waitForSelector('#preview:not([hidden])', generous);

    expect(await page.getAttribute('#preview-summary', 'data-format')).toBe('magento');
    const counts = page.locator('#preview-counts');
    const count = async (name: string) => Number(await counts.getAttribute(`data-${name}`));
    expect({ rows: await count('rows'), new: await count('new'), merged: await count('merged'), rejected: await count('rejected'), downloads: await count('downloads') }).toEqual({
      rows: 4,
      new: 2,
      merged: 1,
      rejected: 1,
      downloads: 3,
    });
    expect(await page.locator('#preview-body .urls li').allTextContents()).toEqual([
      `${baseUrl}/m/b/mb01.jpg`,
      `${baseUrl}/m/b/mb01-back.jpg`,
      `${baseUrl}/m/b/mb02.jpg`,
    ]);
    expect(await page.locator('#preview-body .issues li').allTextContents()).toEqual([expect.stringContaining('row 5')]);
    await page.screenshot({ path: join(repoRoot, 'test-results/admin-preview.png'), fullPage: true });
    // The dry run stored and wrote nothing.
    const { rows: written } = await ctx.pool.query(
      `SELECT (SELECT count(*) FROM imports i JOIN suppliers s ON s.id = i.supplier_id WHERE s.code = 'mage')::int AS imports,
              (SELECT count(*) FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = 'mage')::int AS products`,
    );
    expect(written).toEqual([{ imports: 0, products: 0 }]);

    await page.click('#preview-import');
    await page.waitForSelector('#message:has-text("import #")', generous);
    expect(await page.isHidden('#preview')).toBe(true);
    await expect.poll(async () => {
      const { rows } = await ctx.pool.query<{ sku: string; image_urls: string[] }>(
        `SELECT p.sku, p.image_urls FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE s.code = 'mage' ORDER BY p.sku`,
      );
      return rows.map((row) => [row.sku, row.image_urls.length]);
    }, generous).toEqual([['MB01', 2], ['MB02', 1]]);
  });

  it("lists each supplier feed with its last fetch, failing feeds first, and Fetch now imports one", { timeout: 240_000 }, async () => {
    cdn.set('/feeds/catalog.csv', { body: Buffer.from(buildCsv([['SKU', 'Title'], ['FD-1', 'Feed item']])), contentType: 'text/csv' });
    cdn.setFault('/feeds/broken.csv', 'status500');
    await updateSupplierSettings(ctx, 'feedco', { feedUrl: cdn.url('/feeds/catalog.csv') });
    await updateSupplierSettings(ctx, 'brokenfeed', { feedUrl: cdn.url('/feeds/broken.csv') });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`${admin.url}/`);
    await page.fill('#token-input', token);
    await page.click('#token-form button[type=submit]');
    await page.waitForSelector('#feeds-list li[data-supplier="feedco"][data-outcome="never"]', generous);

    await page.click('#feeds-list li[data-supplier="brokenfeed"] button');
    await page.waitForSelector('#message:has-text("brokenfeed: feed failed (http_5xx)")', generous);
    await page.waitForSelector('#feeds-list li[data-supplier="brokenfeed"][data-outcome="failed"]', generous);
    expect(await page.locator('#feeds-list li[data-supplier="brokenfeed"]').textContent()).toContain('1 in a row): ');
    // One failure is retried at the next tick; the line says when the tick tries a failing feed again.
    expect(await page.locator('#feeds-list li[data-supplier="brokenfeed"]').textContent()).toContain('; next attempt at the next tick');

    await page.click('#feeds-list li[data-supplier="feedco"] button');
    await page.waitForSelector('#message:has-text("feedco: feed imported as import #")', generous);
    await page.waitForSelector('#feeds-list li[data-supplier="feedco"][data-outcome="imported"]', generous);
    expect(await page.locator('#feeds-list li').evaluateAll((items) => items.map((item) => item.getAttribute('data-supplier')))).toEqual(['brokenfeed', 'feedco']);
    const { rows } = await ctx.pool.query(`SELECT outcome, import_id IS NOT NULL AS imported FROM feed_fetches f JOIN suppliers s ON s.id = f.supplier_id WHERE s.code = 'feedco'`);
    expect(rows).toEqual([{ outcome: 'imported', imported: true }]);

    // The settings form sets a feed, and Edit shows it back.
    await page.fill('#supplier-code', 'formfeed');
    await page.fill('#supplier-feed-url', cdn.url('/feeds/catalog.csv'));
    await page.fill('#supplier-feed-interval', '24');
    await page.check('#supplier-feed-full');
    await page.click('#supplier-save');
    await page.waitForSelector('#message:has-text("supplier formfeed created")', generous);
    const { rows: stored } = await ctx.pool.query(`SELECT feed_url, feed_interval_seconds, feed_enabled, feed_full_catalog FROM suppliers WHERE code = 'formfeed'`);
    expect(stored).toEqual([{ feed_url: cdn.url('/feeds/catalog.csv'), feed_interval_seconds: 86_400, feed_enabled: true, feed_full_catalog: true }]);
    await page.waitForSelector('#feeds-list li[data-supplier="formfeed"][data-outcome="never"]', generous);
    await page.fill('#supplier-feed-url', '');
    await page.click('#suppliers-body tr[data-supplier="formfeed"] button');
    expect(await page.inputValue('#supplier-feed-url')).toBe(cdn.url('/feeds/catalog.csv'));
    expect(await page.inputValue('#supplier-feed-interval')).toBe('24');
    expect(await page.isChecked('#supplier-feed-full')).toBe(true);
  });
});
