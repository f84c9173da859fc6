/**
 * The admin page's products view (src/web/page/products-view.ts fills it): filters, the products of
 * one page with their galleries, the pager, and the dialog showing one picture in full.
 */
export const productsSection = `<section id="products-view" class="card" hidden>
      <h2>Products</h2>
      <form id="products-filter" class="filters">
        <label>Supplier <input id="products-supplier" name="supplier" placeholder="(all)"></label>
        <label>Import # <input id="products-import" name="import" type="number" min="1" placeholder="(all)"></label>
        <label>SKU or title <input id="products-q" name="q" type="search" placeholder="contains…"></label>
        <label>Images <select id="products-state" name="state">
          <option value="">all</option>
          <option value="done">all done</option>
          <option value="pending">some pending</option>
          <option value="failed">some failed</option>
        </select></label>
        <label>Catalog <select id="products-discontinued" name="discontinued">
          <option value="">all</option>
          <option value="false">current</option>
          <option value="true">discontinued</option>
        </select></label>
        <div class="buttons"><button id="products-search" type="submit">Search</button></div>
      </form>
      <div id="products-list"></div>
      <div class="buttons pager">
        <button id="products-prev" type="button" class="secondary" disabled>← Previous</button>
        <span id="products-page" class="muted"></span>
        <button id="products-next" type="button" class="secondary" disabled>Next →</button>
      </div>
    </section>
    <dialog id="image-dialog">
      <div id="image-dialog-body"></div>
      <div class="buttons"><button id="image-dialog-close" type="button" class="secondary">Close</button></div>
    </dialog>`;

/** The tabs switching between the operations (imports, failures, queues…) and the products view. */
export const viewTabs = `<nav id="views" class="buttons">
      <button type="button" class="tab active" data-view="operations">Operations</button>
      <button type="button" class="tab" data-view="products" id="products-tab">Products</button>
    </nav>`;

export const productsStyles = `
#views { margin-bottom: 1rem; }
#views .tab { background: #fff; color: var(--accent); }
#views .tab.active { background: var(--accent); color: #fff; }
.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 0 1rem; align-items: end; }
.filters .buttons { margin-bottom: .6rem; }
.product { border-top: 1px solid var(--line); padding: .8rem 0; }
.product-head { display: flex; gap: .8rem; align-items: baseline; flex-wrap: wrap; }
.product-head button { margin-left: auto; }
.badge.discontinued { padding: 0 .4rem; border-radius: 4px; background: var(--bad); color: #fff; font-size: .78rem; font-weight: 600; }
.product.discontinued h3 { color: var(--muted); }
.fields { margin: .2rem 0 .5rem; color: var(--muted); font-size: .85rem; }
.gallery { list-style: none; display: flex; flex-wrap: wrap; gap: .8rem; margin: 0; padding: 0; }
.thumb { width: 150px; display: flex; flex-direction: column; gap: .15rem; font-size: .78rem; }
.thumb .open { padding: 0; border: 2px solid var(--line); background: var(--bg); width: 150px; height: 120px; display: flex; align-items: center; justify-content: center; overflow: hidden; }
.thumb.done .open { border-color: var(--ok); }
.thumb.failed .open { border-color: var(--bad); }
.thumb img { width: 100%; height: 100%; object-fit: contain; background: center / contain no-repeat; }
.thumb .no-image { font-size: 1.6rem; color: var(--muted); }
.thumb .state { font-weight: 600; }
.thumb.failed .state, .thumb .reason { color: var(--bad); }
.thumb .reason { word-break: break-all; display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 4; overflow: hidden; }
.thumb .sizes { color: var(--muted); }
button.small { padding: .1rem .5rem; font-size: .78rem; align-self: start; }
.pager { margin-top: .8rem; align-items: center; }
#image-dialog { max-width: min(90vw, 1000px); border: 1px solid var(--line); border-radius: 8px; }
#image-dialog img { max-width: 100%; max-height: 70vh; display: block; margin: .5rem 0; }
#image-dialog a { word-break: break-all; }
`;
