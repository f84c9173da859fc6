import { send } from './api.ts';
import type { SettingsChange, SupplierUpdate, Suppliers } from './api-types.ts';
import { byId, el } from './dom.ts';
import { act } from './message.ts';

type Supplier = Suppliers[number];

const input = (id: string) => byId<HTMLInputElement>(id);
const headers = (value: string | string[] | undefined) => [value ?? []].flat();
const mappingText = (s: Supplier) =>
  Object.entries(s.columnMapping)
    .map(([field, value]) => `${field} ← ${headers(value).join(', ')}`)
    .join('; ') || 'guessed';

/** Fills the settings form with a supplier's settings, to change them. */
function edit(s: Supplier): void {
  input('supplier-code').value = s.code;
  input('supplier-name').value = s.name;
  byId<HTMLSelectElement>('supplier-format').value = s.format;
  input('supplier-sku').value = headers(s.columnMapping.sku)[0] ?? '';
  input('supplier-title').value = headers(s.columnMapping.title)[0] ?? '';
  byId<HTMLTextAreaElement>('supplier-images').value = headers(s.columnMapping.images).join('\n');
  input('supplier-base-url').value = s.imageBaseUrl ?? '';
  input('supplier-feed-url').value = s.feedUrl ?? '';
  input('supplier-feed-interval').value = s.feedIntervalSeconds === null ? '' : String(s.feedIntervalSeconds / 3600);
  input('supplier-feed-enabled').checked = s.feedEnabled;
  input('supplier-feed-full').checked = s.feedFullCatalog;
  input('supplier-name').focus();
}

/** The suppliers with their settings, each with an Edit button. */
export function renderSuppliers(suppliers: Suppliers): void {
  const body = byId('suppliers-body');
  body.replaceChildren(
    ...suppliers.map((s) =>
      el(
        'tr',
        { dataset: { supplier: s.code, format: s.format } },
        el('td', {}, s.code),
        el('td', {}, s.name),
        el('td', {}, s.format),
        el('td', {}, mappingText(s)),
        el('td', { className: 'url' }, s.imageBaseUrl ?? ''),
        el('td', {}, String(s.products)),
        el('td', {}, el('button', { type: 'button', className: 'secondary', onclick: () => edit(s) }, 'Edit')),
      ),
    ),
  );
  if (suppliers.length === 0) body.append(el('tr', {}, el('td', { colSpan: 7, className: 'muted' }, 'No suppliers yet: save one here, or upload a file.')));
}

/**
 * The form as a whole settings change: an empty field clears that setting (guessing again, no base
 * URL), so what the form shows is what the supplier gets.
 */
function formChange(): SettingsChange {
  const name = input('supplier-name').value.trim();
  const images = byId<HTMLTextAreaElement>('supplier-images')
    .value.split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const hours = input('supplier-feed-interval').value.trim();
  return {
    ...(name ? { name } : {}),
    // The options are rendered from SupplierFormat by the server (src/web/admin-page.ts).
    format: byId<HTMLSelectElement>('supplier-format').value as SettingsChange['format'],
    sku: input('supplier-sku').value.trim() || null,
    title: input('supplier-title').value.trim() || null,
    images: images.length > 0 ? images : null,
    imageBaseUrl: input('supplier-base-url').value.trim() || null,
    feedUrl: input('supplier-feed-url').value.trim() || null,
    feedIntervalSeconds: hours ? Math.round(Number(hours) * 3600) : null,
    feedEnabled: input('supplier-feed-enabled').checked,
    feedFullCatalog: input('supplier-feed-full').checked,
  };
}

const describeUpdate = (r: SupplierUpdate) =>
  r.created
    ? `supplier ${r.supplier.code} created`
    : r.settingsChanged
      ? `supplier ${r.supplier.code} saved: files imported before are imported again on their next upload`
      : `supplier ${r.supplier.code} saved: how its files are read is unchanged`;

/** Save: the form's settings for the supplier it names (created when new). */
export function wireSupplierForm(): void {
  const form = byId<HTMLFormElement>('supplier-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = input('supplier-code').value.trim();
    void act(byId<HTMLButtonElement>('supplier-save'), () => send<SupplierUpdate>('PATCH', `/api/supplier-settings/${encodeURIComponent(code)}`, formChange()), describeUpdate);
  });
}
