// DOM helpers. Every piece of data reaches the page through textContent or an attribute
// set with setAttribute/property assignment: nothing here ever parses a string as HTML.

/**
 * Create an element. `attrs` keys: `class`, `text`, `on<event>` (function), `dataset`
 * (object), `style` (object of CSS properties, applied through CSSOM so the strict CSP
 * allows it), anything else is set as an attribute. Children may be nodes, strings
 * (added as text nodes), numbers, arrays, null/undefined/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style') for (const [p, v] of Object.entries(value)) el.style.setProperty(p, v);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value') el.value = value;
    else if (key === 'checked' || key === 'selected' || key === 'disabled') el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace all children of `el`. */
export function mount(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Escape text for the few places a library insists on an HTML string (chart tooltips). */
export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function clear(el) { el.replaceChildren(); }

export function spinner(label = 'Loading…') {
  return h('div', { class: 'loading' }, h('span', { class: 'spin', 'aria-hidden': 'true' }), label);
}

export function errorBox(err) {
  const box = h('div', { class: 'error-box', role: 'alert' });
  box.append(h('strong', { text: err && err.status ? `Error ${err.status}` : 'Error' }), ' ',
    h('span', { text: err && err.message ? err.message : String(err) }));
  return box;
}

export function empty(text) { return h('div', { class: 'empty' }, text); }
