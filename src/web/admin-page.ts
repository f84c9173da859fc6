/**
 * The admin page: server-rendered HTML, a stylesheet and a small vanilla script that calls the JSON
 * API with the token the admin typed (kept in sessionStorage) and refreshes every 2 s. No build step.
 */
export function adminPage(options: { maxUploadBytes: number; nonce: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>catalog-importer · admin</title>
<style>${styles}</style>
</head>
<body>
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
    <div class="grid">
      <section class="card">
        <h2>Upload a spreadsheet</h2>
        <form id="upload-form">
          <label>Supplier <input id="upload-supplier" name="supplier" required pattern="[a-z0-9][a-z0-9_\\-]{0,62}" placeholder="acme"></label>
          <label>File <input id="upload-file" name="file" type="file" accept=".xlsx,.csv,.txt" required></label>
          <label class="inline"><input id="upload-now" name="now" type="checkbox" value="true" checked> import now</label>
          <button id="upload-submit" type="submit">Upload</button>
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
      </section>
    </div>
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
  </div>
</main>
<script nonce="${options.nonce}">
const MAX_UPLOAD_BYTES = ${options.maxUploadBytes};
${script}
</script>
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
label input:not([type=checkbox]) { display: block; width: 100%; margin-top: .2rem; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 5px; font: inherit; color: var(--fg); }
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
`;

const script = String.raw`
const tokenKey = 'catalog-importer.admin-token';
const $ = (id) => document.getElementById(id);
let pollTimer;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node[key] = value;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

class Unauthorized extends Error {}

async function api(path, init = {}) {
  const headers = { ...(init.headers || {}), authorization: 'Bearer ' + sessionStorage.getItem(tokenKey) };
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401) {
    signOut('That token was refused.');
    throw new Unauthorized();
  }
  const json = (response.headers.get('content-type') || '').includes('json');
  const body = json ? await response.json() : await response.blob();
  if (!response.ok) throw new Error(json ? body.error : response.statusText);
  return body;
}
const post = (path, body) =>
  api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) });

function say(text, isError) {
  $('message').textContent = text;
  $('message').className = isError ? 'error' : '';
}

async function act(button, run, describe) {
  button.disabled = true;
  try {
    say(describe(await run()));
    await refresh();
  } catch (error) {
    if (!(error instanceof Unauthorized)) say(error.message, true);
  } finally {
    button.disabled = false;
  }
}

const age = (seconds) =>
  seconds === null ? '' : seconds < 120 ? seconds + ' s' : seconds < 7200 ? Math.round(seconds / 60) + ' min' : Math.round(seconds / 3600) + ' h';

function progressCell(images) {
  const finished = images.done + images.failed;
  const pct = (n) => (images.total === 0 ? 0 : (100 * n) / images.total);
  return el('td', { className: 'progress', dataset: { done: images.done, failed: images.failed, total: images.total } },
    el('span', { className: 'bar', title: images.pending + images.queued + images.processing + ' in progress' },
      el('span', { className: 'done', style: 'width:' + pct(images.done) + '%' }),
      el('span', { className: 'failed', style: 'left:' + pct(images.done) + '%;width:' + pct(images.failed) + '%' })),
    el('span', { className: 'label' }, images.done + '/' + images.total + ' done' + (images.failed ? ', ' + images.failed + ' failed' : '') +
      (images.total > 0 && finished === images.total ? ' · 100 %' : '')));
}

async function downloadReport(importId) {
  const blob = await api('/api/imports/' + importId + '/errors.csv');
  const link = el('a', { href: URL.createObjectURL(blob), download: 'import-' + importId + '-errors.csv' });
  link.click();
  URL.revokeObjectURL(link.href);
}

function renderImports(imports) {
  $('imports-body').replaceChildren(...imports.map((i) => {
    const issues = i.rowsFailed + i.warnings;
    return el('tr', { dataset: { importId: i.importId } },
      el('td', {}, String(i.importId)),
      el('td', {}, i.supplier),
      el('td', {}, i.fileName),
      el('td', { title: i.error || '' }, i.status + (i.error ? ' ⚠' : '')),
      el('td', {}, i.rowsImported + '/' + i.rowsTotal + (i.rowsFailed ? ' (' + i.rowsFailed + ' rejected)' : '')),
      progressCell(i.images),
      el('td', {}, issues > 0 ? el('button', { type: 'button', className: 'secondary', onclick: () => downloadReport(i.importId).catch((e) => say(e.message, true)) }, 'Row errors (' + issues + ')') : null));
  }));
  if (imports.length === 0) $('imports-body').append(el('tr', {}, el('td', { colSpan: 7, className: 'muted' }, 'No imports yet: upload a spreadsheet.')));
}

function renderFailures(groups) {
  $('failure-groups').replaceChildren(...groups.map((g) => {
    const button = el('button', { type: 'button', dataset: { requeueKind: g.kind } }, 'Re-queue ' + g.count);
    button.addEventListener('click', () =>
      act(button, () => post('/api/requeue', { kind: g.kind, now: true }), (r) => r.requeued + ' ' + g.kind + ' images re-queued'));
    return el('div', { className: 'group', dataset: { kind: g.kind } },
      el('h3', {}, g.kind + ' · ' + g.count),
      el('ul', {}, ...g.examples.map((e) => el('li', {}, el('a', { href: e.sourceUrl, target: '_blank', rel: 'noreferrer' }, e.sourceUrl), e.error ? ' — ' + e.error : ''))),
      button);
  }));
  if (groups.length === 0) $('failure-groups').append(el('p', { className: 'muted' }, 'No failed images.'));
}

function renderStatus(status) {
  const q = status.queue;
  $('queue-line').textContent = 'Images queue: ' + q.visible + ' waiting, ' + q.inFlight + ' in flight' + (q.oldestAgeSeconds !== null ? ', oldest ' + age(q.oldestAgeSeconds) : '');
  const d = status.dlq;
  $('dlq-line').textContent = d ? 'DLQ: ' + (d.visible + d.inFlight) + ' messages' + (d.oldestAgeSeconds !== null ? ', oldest ' + age(d.oldestAgeSeconds) : '') : 'DLQ: not configured';
  $('dlq-line').dataset.depth = d ? d.visible + d.inFlight : 0;
}

function renderSchedule(s) {
  $('schedule-line').textContent = (s.enabled ? 'Enabled' : 'Paused') + ' · ' + s.expression +
    (s.nextRunAt ? ' · next run ' + new Date(s.nextRunAt).toLocaleString() : '') + ' · ' + (s.backend === 'aws' ? 'EventBridge Scheduler' : 'local timer');
  $('schedule-line').dataset.enabled = s.enabled;
  $('schedule-pause').hidden = !s.enabled;
  $('schedule-resume').hidden = s.enabled;
}

async function refresh() {
  const [imports, groups, status, schedule] = await Promise.all([
    api('/api/imports?limit=20'), api('/api/failures/groups'), api('/api/status'), api('/api/schedule'),
  ]);
  renderImports(imports);
  renderFailures(groups);
  renderStatus(status);
  renderSchedule(schedule);
  $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
}

async function poll() {
  try {
    await refresh();
  } catch (error) {
    if (error instanceof Unauthorized) return;
    say(error.message, true);
  }
  pollTimer = setTimeout(poll, 2000);
}

// The admin Lambda sits behind API Gateway's ~6 MB request cap: bigger files go straight to S3.
const DIRECT_UPLOAD_BYTES = Math.min(MAX_UPLOAD_BYTES, 5 * 1024 * 1024);

async function upload(form) {
  const file = $('upload-file').files[0];
  const supplier = $('upload-supplier').value.trim();
  if (file.size <= DIRECT_UPLOAD_BYTES) {
    const r = await api('/api/uploads', { method: 'POST', body: new FormData(form) });
    return 'import #' + r.importId + ' registered' + (r.duplicateOf ? ' (same file as #' + r.duplicateOf + ')' : '') +
      (r.run ? ': a run is scheduled to import it now' : '') +
      (r.imports.length ? ': ' + r.imports.map((i) => i.rowsImported + '/' + i.rowsTotal + ' rows, ' + i.imagesPending + ' images').join('; ') : '');
  }
  const target = await post('/api/uploads/presign', { supplier, fileName: file.name, bytes: file.size });
  const put = await fetch(target.url, { method: 'PUT', body: file });
  if (!put.ok) throw new Error('upload to S3 failed: ' + put.status);
  return file.name + ' stored as ' + target.key + ': the next run imports it (or press Run now)';
}

function signOut(reason) {
  sessionStorage.removeItem(tokenKey);
  clearTimeout(pollTimer);
  $('app').hidden = true;
  $('sign-out').hidden = true;
  $('token-form').hidden = false;
  $('token-error').textContent = reason || '';
}

function signIn() {
  $('token-form').hidden = true;
  $('app').hidden = false;
  $('sign-out').hidden = false;
  poll();
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(tokenKey, $('token-input').value.trim());
  $('token-input').value = '';
  signIn();
});
$('sign-out').addEventListener('click', () => signOut());
$('upload-form').addEventListener('submit', (event) => {
  event.preventDefault();
  act($('upload-submit'), () => upload(event.target), (text) => text);
});
$('schedule-pause').addEventListener('click', (e) => act(e.target, () => post('/api/schedule/pause'), () => 'schedule paused'));
$('schedule-resume').addEventListener('click', (e) => act(e.target, () => post('/api/schedule/resume'), () => 'schedule resumed'));
$('schedule-run').addEventListener('click', (e) =>
  act(e.target, () => post('/api/schedule/trigger'), (r) =>
    r.mode === 'ran' ? 'run #' + r.summary.runId + ': ' + r.summary.imports.length + ' imports, ' + r.summary.enqueued + ' images enqueued'
      : 'run scheduled for ' + new Date(r.at).toLocaleTimeString() + ' (' + r.scheduleName + ')'));
$('dlq-redrive').addEventListener('click', (e) =>
  act(e.target, () => post('/api/dlq/redrive'), (r) => r.method === 'copy' ? r.moved + ' messages moved back to the images queue' : 'redrive started (' + r.depth + ' messages)'));

if (sessionStorage.getItem(tokenKey)) signIn();
else signOut();
`;
