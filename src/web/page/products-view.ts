import { thumbHashToDataURL } from 'thumbhash';
import { api, send } from './api.ts';
import type { Products, Requeue } from './api-types.ts';
import { byId, el } from './dom.ts';
import { act } from './message.ts';

type Product = Products['products'][number];
type Picture = Product['gallery'][number];

const pageSize = 50;

/** The cursors of the pages walked so far: the last one is the page shown (null: the first page). */
let cursors: Array<string | null> = [null];
/** The last answer rendered, so the poll redraws (and reloads thumbnails) only when something changed. */
let shown = '';

const input = (id: string) => byId<HTMLInputElement>(id);

function query(after: string | null): string {
  const params = new URLSearchParams({ limit: String(pageSize) });
  const supplier = input('products-supplier').value.trim();
  const importId = input('products-import').value.trim();
  const q = input('products-q').value.trim();
  const state = byId<HTMLSelectElement>('products-state').value;
  const discontinued = byId<HTMLSelectElement>('products-discontinued').value;
  if (supplier) params.set('supplier', supplier);
  if (importId) params.set('import', importId);
  if (q) params.set('q', q);
  if (state) params.set('state', state);
  if (discontinued) params.set('discontinued', discontinued);
  if (after) params.set('after', after);
  return `/api/products?${params}`;
}

const kb = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`);
const size = (width: number | null, height: number | null, bytes: number | null) =>
  width !== null && height !== null && bytes !== null ? `${width}×${height} · ${kb(bytes)}` : undefined;

/** "WebP 800×600 · 41.2 KB, original 1600×1200 · 310.5 KB": what conversion did to the picture. */
function sizes(p: Picture): string {
  const webp = size(p.width, p.height, p.bytes);
  if (!webp) return '';
  const original = size(p.originalWidth, p.originalHeight, p.originalBytes);
  return `WebP ${webp}, original ${original ?? 'size not recorded'}`;
}

const requeue = (button: HTMLButtonElement, ids: number[]) =>
  act(button, () => send<Requeue>('POST', '/api/requeue', { ids, now: true }), (r) => `${r.requeued} image${r.requeued === 1 ? '' : 's'} re-queued`);

/** Shows the full WebP with the supplier's original URL beside it. */
function openPicture(product: Product, p: Picture): void {
  const dialog = byId<HTMLDialogElement>('image-dialog');
  byId('image-dialog-body').replaceChildren(
    el('h3', {}, `${product.title ?? product.sku} · image ${p.position}`),
    p.url ? el('img', { src: p.url, alt: `${product.sku} image ${p.position}`, id: 'image-dialog-img' }) : el('p', { className: 'muted' }, 'No WebP yet.'),
    el('p', { className: 'muted' }, sizes(p)),
    el('p', {}, 'Original: ', el('a', { href: p.sourceUrl, target: '_blank', rel: 'noreferrer', id: 'image-dialog-source' }, p.sourceUrl)),
  );
  dialog.showModal();
}

function stateLabel(p: Picture): string {
  if (p.status === 'failed') return `failed · ${p.errorKind ?? 'unknown'}`;
  return p.status === 'done' ? 'done' : `pending (${p.status})`;
}

/** The thumbnail box's CSS width (see products-section.ts): what the browser picks a size for. */
const thumbnailWidth = 150;

/** The ThumbHash as a blurred picture (a data URL), painted behind the thumbnail until the WebP is in. */
const placeholderStyle = (placeholder: string | null) =>
  placeholder ? `background-image: url("${thumbHashToDataURL(Uint8Array.from(atob(placeholder), (c) => c.charCodeAt(0)))}")` : undefined;

function thumbnail(product: Product, p: Picture): HTMLLIElement {
  const picture = p.url
    ? // loading, srcset and sizes before src: an image given its src first starts loading it at once.
      // The browser takes the smallest size that fills the box, not the full WebP.
      el('img', {
        loading: 'lazy',
        srcset: p.variants.map((v) => `${v.url} ${v.width}w`).join(', '),
        sizes: `${thumbnailWidth}px`,
        src: p.url,
        alt: `${product.sku} image ${p.position}`,
        width: 120,
        height: 120,
        style: placeholderStyle(p.placeholder),
      })
    : el('span', { className: 'no-image' }, p.status === 'failed' ? '✕' : '…');
  const open = el('button', { type: 'button', className: 'open', title: p.sourceUrl, onclick: () => openPicture(product, p) }, picture);
  const retry =
    p.status === 'failed'
      ? el('button', { type: 'button', className: 'secondary small', dataset: { requeueSource: p.sourceId } }, 'Re-queue')
      : null;
  retry?.addEventListener('click', () => requeue(retry, [p.sourceId]));
  return el(
    'li',
    { className: `thumb ${p.status}`, dataset: { position: p.position, status: p.status, sourceId: p.sourceId } },
    open,
    el('span', { className: 'state' }, `${p.position}. ${stateLabel(p)}`),
    p.error ? el('span', { className: 'reason', title: p.error }, p.error) : null,
    el('span', { className: 'sizes' }, sizes(p)),
    retry,
  );
}

function productCard(product: Product): HTMLElement {
  const failed = product.gallery.filter((p) => p.status === 'failed').map((p) => p.sourceId);
  const retryAll = failed.length
    ? el('button', { type: 'button', className: 'secondary', dataset: { requeueProduct: product.sku } }, `Re-queue ${failed.length} failed`)
    : null;
  retryAll?.addEventListener('click', () => requeue(retryAll, failed));
  const fields = Object.entries(product.fields);
  // A full-catalog import that lacked the product: kept, shown with the import that discontinued it.
  const by = product.discontinuedByImportId;
  return el(
    'article',
    {
      className: by === null ? 'product' : 'product discontinued',
      dataset: { supplier: product.supplier, sku: product.sku, ...(by === null ? {} : { discontinuedBy: by }) },
    },
    el(
      'div',
      { className: 'product-head' },
      el('h3', {}, product.title ?? '(no title)'),
      by === null ? null : el('span', { className: 'badge discontinued', title: `since ${product.discontinuedAt}` }, `discontinued (import #${by})`),
      el('span', { className: 'muted' }, `${product.supplier} · ${product.sku} · ${product.images.done}/${product.images.total} images done`),
      retryAll,
    ),
    fields.length ? el('p', { className: 'fields' }, fields.map(([k, v]) => `${k}: ${v}`).join(' · ')) : null,
    product.gallery.length ? el('ol', { className: 'gallery' }, ...product.gallery.map((p) => thumbnail(product, p))) : el('p', { className: 'muted' }, 'No images.'),
  );
}

function render(page: Products): void {
  const list = byId('products-list');
  list.replaceChildren(...page.products.map(productCard));
  if (page.products.length === 0) list.append(el('p', { className: 'muted' }, 'No product matches.'));
  byId<HTMLButtonElement>('products-prev').disabled = cursors.length === 1;
  const next = byId<HTMLButtonElement>('products-next');
  next.disabled = !page.next;
  next.dataset.next = page.next ?? '';
  byId('products-page').textContent = `page ${cursors.length}`;
}

/** Reads the page shown again (the 2 s poll, after an action); redraws only what changed. Nothing while the view is hidden. */
export async function refreshProducts(): Promise<void> {
  if (byId('products-view').hidden) return;
  const page = await api<Products>(query(cursors.at(-1) ?? null));
  const text = JSON.stringify(page);
  if (text === shown) return;
  shown = text;
  render(page);
}

/** The filter form, the pager, the view's tabs and the picture dialog. */
export function wireProductsView(onError: (error: unknown) => void): void {
  const reload = () => {
    shown = '';
    refreshProducts().catch(onError);
  };
  byId('products-filter').addEventListener('submit', (event) => {
    event.preventDefault();
    cursors = [null];
    reload();
  });
  for (const select of ['products-state', 'products-discontinued']) {
    byId(select).addEventListener('change', () => {
      cursors = [null];
      reload();
    });
  }
  byId('products-next').addEventListener('click', (event) => {
    const next = (event.currentTarget as HTMLButtonElement).dataset.next;
    if (next) cursors.push(next);
    reload();
  });
  byId('products-prev').addEventListener('click', () => {
    if (cursors.length > 1) cursors.pop();
    reload();
  });
  for (const tab of document.querySelectorAll<HTMLButtonElement>('#views button[data-view]')) {
    tab.addEventListener('click', () => {
      const products = tab.dataset.view === 'products';
      byId('operations-view').hidden = products;
      byId('products-view').hidden = !products;
      for (const t of document.querySelectorAll<HTMLButtonElement>('#views button[data-view]')) t.classList.toggle('active', t === tab);
      if (products) reload();
    });
  }
  byId('image-dialog-close').addEventListener('click', () => byId<HTMLDialogElement>('image-dialog').close());
}
