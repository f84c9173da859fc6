import { download } from './api.ts';
import type { Imports } from './api-types.ts';
import { byId, el } from './dom.ts';
import { say } from './message.ts';

type ImportRow = Imports[number];

function progressCell(images: ImportRow['images']): HTMLTableCellElement {
  const finished = images.done + images.failed;
  const pct = (n: number) => (images.total === 0 ? 0 : (100 * n) / images.total);
  return el(
    'td',
    { className: 'progress', dataset: { done: images.done, failed: images.failed, total: images.total } },
    el(
      'span',
      { className: 'bar', title: `${images.pending + images.queued + images.processing} in progress` },
      el('span', { className: 'done', style: `width:${pct(images.done)}%` }),
      el('span', { className: 'failed', style: `left:${pct(images.done)}%;width:${pct(images.failed)}%` }),
    ),
    el(
      'span',
      { className: 'label' },
      `${images.done}/${images.total} done${images.failed ? `, ${images.failed} failed` : ''}${images.total > 0 && finished === images.total ? ' · 100 %' : ''}`,
    ),
  );
}

async function downloadReport(importId: number): Promise<void> {
  const blob = await download(`/api/imports/${importId}/errors.csv`);
  const link = el('a', { href: URL.createObjectURL(blob), download: `import-${importId}-errors.csv` });
  link.click();
  URL.revokeObjectURL(link.href);
}

/** The imports table: rows, images progress bar, and the row-error CSV button. */
export function renderImports(imports: Imports): void {
  const body = byId('imports-body');
  body.replaceChildren(
    ...imports.map((i) => {
      const issues = i.rowsFailed + i.warnings;
      const report =
        issues > 0
          ? el('button', { type: 'button', className: 'secondary', onclick: () => downloadReport(i.importId).catch((e: Error) => say(e.message, true)) }, `Row errors (${issues})`)
          : null;
      return el(
        'tr',
        { dataset: { importId: i.importId } },
        el('td', {}, String(i.importId)),
        el('td', {}, i.supplier),
        el('td', {}, i.fileName),
        el('td', { title: i.error ?? '' }, i.status + (i.error ? ' ⚠' : '')),
        el(
          'td',
          { className: 'rows' },
          `${i.rowsImported}/${i.rowsTotal}${i.rowsFailed ? ` (${i.rowsFailed} rejected)` : ''}`,
          // A full catalog's products it lacked: kept, marked discontinued (the products view filters them).
          i.productsDiscontinued ? el('span', { className: 'discontinued', dataset: { count: i.productsDiscontinued } }, ` · ${i.productsDiscontinued} discontinued`) : null,
        ),
        progressCell(i.images),
        el('td', {}, report),
      );
    }),
  );
  if (imports.length === 0) body.append(el('tr', {}, el('td', { colSpan: 7, className: 'muted' }, 'No imports yet: upload a spreadsheet.')));
}
