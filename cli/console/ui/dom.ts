/** A few DOM helpers: elements from a tag, attributes and children; no framework. */

export type Child = Node | string | number | null | undefined | false | readonly Child[];
type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

const append = (parent: Node, child: Child): void => {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const item of child as readonly Child[]) append(parent, item);
    return;
  }
  parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
};

/** `h('a', {href: '#/'}, 'Home')`: attributes set as attributes, `on…` functions as listeners. */
export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
};

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes. */
export const svg = (
  tag: string,
  attributes: Record<string, string | number>,
  ...children: Child[]
): SVGElement => {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  append(element, children);
  return element;
};

/** Replaces an element's children. */
export const replace = (parent: Element, ...children: Child[]): void => {
  parent.replaceChildren();
  append(parent, children);
};

/** A table that scrolls sideways on narrow screens; `caption` names it for screen readers. */
export const table = <T>(
  caption: string,
  columns: readonly { readonly header: string; readonly cell: (row: T) => Child }[],
  rows: readonly T[],
  empty: string,
): HTMLElement => {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h(
      'table',
      {},
      h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((column) => h('th', { scope: 'col' }, column.header)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((row) =>
          h(
            'tr',
            {},
            columns.map((column) => h('td', { 'data-label': column.header }, column.cell(row))),
          ),
        ),
      ),
    ),
  );
};

/** Label and value pairs. */
export const fields = (pairs: readonly (readonly [string, Child])[]): HTMLElement =>
  h(
    'dl',
    { class: 'fields' },
    pairs
      .filter(([, value]) => value !== undefined && value !== null && value !== '')
      .map(([label, value]) => h('div', {}, h('dt', {}, label), h('dd', {}, value))),
  );

/** Tells screen readers (and tests) what just happened. */
export const announce = (text: string): void => {
  const status = document.getElementById('status');
  if (status !== null) status.textContent = text;
};
