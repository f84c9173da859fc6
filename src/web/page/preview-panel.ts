import type { Preview } from './api-types.ts';
import { byId, el } from './dom.ts';

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const changeLabel = (p: Preview['sample'][number]) =>
  p.change === 'unchanged' && p.galleryChanged ? 'images changed' : p.change;

function table(headers: string[], rows: Array<Array<Node | string>>): HTMLTableElement {
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => el('td', {}, c))))),
  );
}

/**
 * The dry run of an upload: how the file is read (format, field → columns), what importing it would
 * create and change, the first products as they would be stored, and the row errors and warnings.
 */
export function renderPreview(p: Preview): void {
  const { links } = p.images;
  const mapping = Object.entries(p.mapping).filter(([, columns]) => columns.length > 0);
  const moreIssues = p.issues.errors + p.issues.warnings - p.issues.first.length;
  byId('preview-body').replaceChildren(
    el(
      'p',
      { id: 'preview-summary', dataset: { format: p.format, supplierKnown: p.supplier.known } },
      el('strong', {}, p.file.name),
      ` for ${p.supplier.code}${p.supplier.known ? '' : ' (a new supplier)'} · read as `,
      el('strong', {}, p.format),
      p.detected ? ' (detected from the headers)' : " (the supplier's format)",
      p.sameFileAs ? ` · same file as import #${p.sameFileAs}: importing it again changes nothing` : '',
    ),
    el(
      'p',
      {
        id: 'preview-counts',
        dataset: {
          rows: p.rows.total,
          new: p.products.new,
          changed: p.products.changed,
          unchanged: p.products.unchanged,
          rejected: p.rows.rejected,
          merged: p.rows.merged,
          downloads: p.images.downloads,
        },
      },
      `${p.rows.total} rows: ${p.rows.rejected} rejected, ${p.rows.merged} merged · products: ${p.products.new} new, ${p.products.changed} changed, ${p.products.unchanged} unchanged · ` +
        `image links: ${links.new} new, ${links.changed} changed, ${links.removed} removed · ${p.images.downloads} downloads`,
    ),
    el('h3', {}, 'Mapping'),
    table(['Field', 'Columns'], mapping.map(([field, columns]) => [field, columns.join(', ')])),
    el('h3', {}, `First ${p.sample.length} products`),
    table(
      ['Row', 'SKU', 'Title', 'Change', 'Images', 'Fields'],
      p.sample.map((s) => [
        String(s.rowNumber),
        s.sku,
        s.title ?? '',
        changeLabel(s),
        el('ul', { className: 'urls' }, ...s.imageUrls.map((url) => el('li', {}, url))),
        Object.entries(s.fields).map(([k, v]) => `${k}: ${v}`).join('; '),
      ]),
    ),
    el('h3', { id: 'preview-issues', dataset: { errors: p.issues.errors, warnings: p.issues.warnings } }, `${count(p.issues.errors, 'row error')}, ${count(p.issues.warnings, 'warning')}`),
    el(
      'ul',
      { className: 'issues' },
      ...p.issues.first.map((i) =>
        el('li', { className: i.severity === 'error' ? 'error' : '' }, `row ${i.rowNumber}${i.column ? ` [${i.column}]` : ''}: ${i.message}`),
      ),
      moreIssues > 0 ? el('li', { className: 'muted' }, `… and ${moreIssues} more (all of them in the import's row-error CSV)`) : null,
    ),
  );
  byId('preview').hidden = false;
}

/** A preview belongs to one file and supplier: hidden once either changes, or the file is imported. */
export function hidePreview(): void {
  byId('preview').hidden = true;
  byId('preview-body').replaceChildren();
}
