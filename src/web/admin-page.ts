import { SupplierFormat } from '../db/schema.ts';
import { productsSection, productsStyles, viewTabs } from './products-section.ts';

const formatOptions = Object.values(SupplierFormat)
  .map((format) => `<option value="${format}">${format === SupplierFormat.auto ? 'auto (detected from the headers)' : format}</option>`)
  .join('');

/**
 * The admin page: server-rendered HTML, a stylesheet, and the script bundled from src/web/page/
 * (see `adminPageScript`), inline with the response's CSP nonce. The script calls the JSON API with
 * the token the admin typed (kept in sessionStorage) and refreshes every 2 s.
 */
export function adminPage(options: { maxUploadBytes: number; nonce: string; script: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>catalog-importer · admin</title>
<style>${styles}${productsStyles}</style>
</head>
<body data-max-upload-bytes="${options.maxUploadBytes}">
<header>
  <h1>catalog-importer</h1>
  <span id="updated" class="muted"></span>
  <button id="sign-out" type="button" class="secondary" hidden>Sign out</button>
</header>
<main>
  <form id="token-form" class="card" hidden>
    <h2>Sign in</h2>
    <label>Admin token <input id="token-input" name="token" type="password" autocomplete="off" required></label>
    <button type="submit">Sign in</button>
    <p id="token-error" class="error"></p>
  </form>
  <div id="app" hidden>
    <p id="message" role="status"></p>
    ${viewTabs}
    <div id="operations-view">
    <div class="grid">
      <section class="card">
        <h2>Upload a spreadsheet</h2>
        <form id="upload-form">
          <label>Supplier <input id="upload-supplier" name="supplier" required pattern="[a-z0-9][a-z0-9_\\-]{0,62}" placeholder="acme"></label>
          <label>File <input id="upload-file" name="file" type="file" accept=".xlsx,.csv,.txt" required></label>
          <label class="inline"><input id="upload-now" name="now" type="checkbox" value="true" checked> import now</label>
          <div class="buttons">
            <button id="upload-preview" type="button" class="secondary">Preview</button>
            <button id="upload-submit" type="submit">Import</button>
          </div>
        </form>
      </section>
      <section class="card">
        <h2>Schedule</h2>
        <p id="schedule-line" class="muted">…</p>
        <div class="buttons">
          <button id="schedule-pause" type="button">Pause</button>
          <button id="schedule-resume" type="button">Resume</button>
          <button id="schedule-run" type="button">Run now</button>
        </div>
      </section>
      <section class="card">
        <h2>Queues</h2>
        <p id="queue-line" class="muted">…</p>
        <p id="dlq-line" class="muted">…</p>
        <button id="dlq-redrive" type="button">Redrive DLQ</button>
        <h3>Supplier hosts</h3>
        <ul id="hosts-list" class="muted"></ul>
        <h3>Supplier feeds</h3>
        <ul id="feeds-list" class="muted"></ul>
      </section>
    </div>
    <section id="preview" class="card" hidden>
      <h2>Dry run: what importing this file would do <span class="muted">(nothing is stored or written)</span></h2>
      <div id="preview-body"></div>
      <div class="buttons">
        <button id="preview-import" type="button">Import</button>
        <button id="preview-close" type="button" class="secondary">Close</button>
      </div>
    </section>
    <section class="card">
      <h2>Imports</h2>
      <table>
        <thead><tr><th>#</th><th>Supplier</th><th>File</th><th>Status</th><th>Rows</th><th>Images</th><th></th></tr></thead>
        <tbody id="imports-body"></tbody>
      </table>
    </section>
    <section class="card">
      <h2>Failed images</h2>
      <div id="failure-groups"></div>
    </section>
    <section class="card">
      <h2>Suppliers: how their files are read</h2>
      <table>
        <thead><tr><th>Code</th><th>Name</th><th>Format</th><th>Mapping</th><th>Image base URL</th><th>Products</th><th></th></tr></thead>
        <tbody id="suppliers-body"></tbody>
      </table>
      <form id="supplier-form" class="settings">
        <label>Supplier <input id="supplier-code" name="code" required pattern="[a-z0-9][a-z0-9_\\-]{0,62}" placeholder="acme"></label>
        <label>Name <input id="supplier-name" name="name" placeholder="(unchanged; the code for a new supplier)"></label>
        <label>Format <select id="supplier-format" name="format">${formatOptions}</select></label>
        <label>SKU column <input id="supplier-sku" name="sku" placeholder="(guessed)"></label>
        <label>Title column <input id="supplier-title" name="title" placeholder="(guessed)"></label>
        <label>Image columns, one per line <textarea id="supplier-images" name="images" rows="2" placeholder="(guessed)"></textarea></label>
        <label class="wide">Image base URL, for relative image paths <input id="supplier-base-url" name="imageBaseUrl" type="url" placeholder="https://shop.example.com/media/catalog/product"></label>
        <label class="wide">Feed URL, fetched by the schedule (docs/feeds.md) <input id="supplier-feed-url" name="feedUrl" type="url" placeholder="(none: files are uploaded)"></label>
        <label>Fetch at most every … hours <input id="supplier-feed-interval" name="feedInterval" type="number" min="1" step="1" placeholder="(every run)"></label>
        <label class="inline"><input id="supplier-feed-enabled" name="feedEnabled" type="checkbox" checked> feed on</label>
        <label class="inline"><input id="supplier-feed-full" name="feedFullCatalog" type="checkbox"> full catalog: discontinue what the feed lacks</label>
        <div class="buttons wide"><button id="supplier-save" type="submit">Save settings</button></div>
      </form>
    </section>
    </div>
    ${productsSection}
  </div>
</main>
<script nonce="${options.nonce}">${options.script}</script>
</body>
</html>
`;
}

const styles = `
:root { --fg: #1d232b; --muted: #66717f; --line: #e3e7ec; --accent: #2f6fde; --ok: #2e9d5b; --bad: #d2463c; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 1rem; padding: .8rem 1.5rem; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.1rem; margin: 0; }
header button { margin-left: auto; }
main { max-width: 1100px; margin: 1.2rem auto; padding: 0 1rem; }
h2 { font-size: .95rem; margin: 0 0 .7rem; }
h3 { font-size: .9rem; margin: 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.2rem; margin-bottom: 1rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 1rem; }
.grid .card { margin-bottom: 0; }
.grid { margin-bottom: 1rem; }
label { display: block; margin-bottom: .6rem; color: var(--muted); }
label input:not([type=checkbox]), label select, label textarea { display: block; width: 100%; margin-top: .2rem; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 5px; font: inherit; color: var(--fg); }
label.inline { display: flex; gap: .4rem; align-items: center; }
button { font: inherit; padding: .35rem .8rem; border-radius: 5px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button:disabled { opacity: .5; cursor: progress; }
button.secondary { background: #fff; color: var(--accent); }
.buttons { display: flex; gap: .5rem; flex-wrap: wrap; }
.muted { color: var(--muted); }
.error { color: var(--bad); }
#message { min-height: 1.3em; margin: 0 0 .8rem; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: .45rem .4rem; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { color: var(--muted); font-weight: 500; }
.bar { position: relative; width: 160px; height: 8px; border-radius: 4px; background: var(--line); overflow: hidden; display: inline-block; vertical-align: middle; margin-right: .5rem; }
.bar span { position: absolute; top: 0; bottom: 0; left: 0; }
.bar .done { background: var(--ok); }
.bar .failed { background: var(--bad); }
.group { border-top: 1px solid var(--line); padding: .7rem 0; display: grid; grid-template-columns: 1fr auto; gap: .3rem 1rem; }
.group:first-child { border-top: 0; }
.group ul { grid-column: 1; margin: 0; padding-left: 1.1rem; color: var(--muted); font-size: .85rem; word-break: break-all; }
.group button { grid-row: 1 / span 2; grid-column: 2; align-self: start; }
form .buttons, #preview .buttons { margin-top: .6rem; }
.settings { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 0 1rem; margin-top: 1rem; }
.settings .wide { grid-column: 1 / -1; }
#preview h3 { margin: 1rem 0 .3rem; }
#preview ul { margin: 0; padding-left: 1.1rem; }
#preview .urls, td.url { font-size: .85rem; word-break: break-all; }
`;
