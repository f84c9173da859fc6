/** The page's element with this id; throws when the markup lacks it (a page/script mismatch, not a user error). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node as T;
}

type Child = Node | string | null | undefined;
type Props<K extends keyof HTMLElementTagNameMap> = Partial<Omit<HTMLElementTagNameMap[K], 'dataset' | 'style'>> & {
  dataset?: Record<string, string | number | boolean>;
  style?: string;
};

/** An element with properties, data attributes and children; text children are text nodes, never HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props<K> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  const { dataset, style, ...rest } = props;
  Object.assign(node, rest);
  for (const [key, value] of Object.entries(dataset ?? {})) node.dataset[key] = String(value);
  if (style !== undefined) node.setAttribute('style', style);
  node.append(...children.filter((c): c is Node | string => c !== null && c !== undefined));
  return node;
}
