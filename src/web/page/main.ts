import { api, token, Unauthorized } from './api.ts';
import type { FailureGroups, Imports, Schedule, Status, Suppliers } from './api-types.ts';
import { byId } from './dom.ts';
import { renderFailures } from './failure-groups.ts';
import { renderImports } from './imports-table.ts';
import { changedEvent, say } from './message.ts';
import { refreshProducts, wireProductsView } from './products-view.ts';
import { renderSchedule, renderStatus, wireQueueAndScheduleButtons } from './queues-and-schedule.ts';
import { renderFeeds, wireFeedButtons } from './supplier-feeds.ts';
import { renderSuppliers, wireSupplierForm } from './supplier-settings.ts';
import { wireUploadForm } from './upload-form.ts';

/**
 * The admin page's script: sign in with the admin token (kept in sessionStorage for the tab), then
 * refresh everything every 2 s and after each action. Bundled by esbuild (src/web/page-script.ts).
 */
let pollTimer: ReturnType<typeof setTimeout> | undefined;

/** Imports, failures, queues, schedule and the products page shown: what moves on its own, so it is polled. */
async function refresh(): Promise<void> {
  const [imports, groups, status, schedule] = await Promise.all([
    api<Imports>('/api/imports?limit=20'),
    api<FailureGroups>('/api/failures/groups'),
    api<Status>('/api/status'),
    api<Schedule>('/api/schedule'),
    refreshProducts(),
  ]);
  renderImports(imports);
  renderFailures(groups);
  renderStatus(status);
  renderFeeds(status.feeds);
  renderSchedule(schedule);
  byId('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

/** Suppliers change only by an action (here or in the CLI): read at sign-in and after each action, not polled. */
async function refreshSuppliers(): Promise<void> {
  renderSuppliers(await api<Suppliers>('/api/supplier-settings'));
}

function reportError(error: unknown): void {
  if (!(error instanceof Unauthorized)) say(error instanceof Error ? error.message : String(error), true);
}

async function poll(): Promise<void> {
  try {
    await refresh();
  } catch (error) {
    if (error instanceof Unauthorized) return;
    reportError(error);
  }
  pollTimer = setTimeout(poll, 2000);
}

function signOut(reason = ''): void {
  token.clear();
  clearTimeout(pollTimer);
  byId('app').hidden = true;
  byId('sign-out').hidden = true;
  byId('token-form').hidden = false;
  byId('token-error').textContent = reason;
}

function signIn(): void {
  byId('token-form').hidden = true;
  byId('app').hidden = false;
  byId('sign-out').hidden = false;
  refreshSuppliers().catch(reportError);
  void poll();
}

token.onRefused(() => signOut('That token was refused.'));
byId('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const field = byId<HTMLInputElement>('token-input');
  token.set(field.value.trim());
  field.value = '';
  signIn();
});
byId('sign-out').addEventListener('click', () => signOut());
document.addEventListener(changedEvent, () => {
  Promise.all([refresh(), refreshSuppliers()]).catch(reportError);
});
wireUploadForm(Number(document.body.dataset.maxUploadBytes));
wireSupplierForm();
wireQueueAndScheduleButtons();
wireFeedButtons();
wireProductsView(reportError);

if (token.get()) signIn();
else signOut();
