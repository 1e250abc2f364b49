// Virtualized span tree + waterfall. Only the rows in view are in the DOM, so a trace of
// tens of thousands of spans scrolls as smoothly as one of ten; subtrees collapse.
import { h } from '../dom.js';
import * as fmt from '../format.js';

export const ROW_HEIGHT = 28;
const OVERSCAN = 12;

export const KIND_STYLE = {
  llm: { label: 'LLM', icon: '✦' },
  embedding: { label: 'EMB', icon: '≋' },
  retrieval: { label: 'RET', icon: '⌕' },
  tool: { label: 'TOOL', icon: '⚙' },
  agent: { label: 'AGENT', icon: '◎' },
  chain: { label: 'STEP', icon: '▹' },
  guardrail: { label: 'GUARD', icon: '◆' },
  eval: { label: 'EVAL', icon: '✓' },
  other: { label: 'SPAN', icon: '•' },
};

export function kindBadge(kind) {
  const k = KIND_STYLE[kind] ? kind : 'other';
  return h('span', { class: `kind kind-${k}`, title: k }, h('span', { 'aria-hidden': 'true', text: KIND_STYLE[k].icon }), KIND_STYLE[k].label);
}

/**
 * Prepare rows from spans in tree order (depth-first, each with `depth`): children counts,
 * the time origin, the slowest non-root span and the failed spans.
 */
export function prepare(spans) {
  const rows = spans.map((s, i) => ({ span: s, index: i, depth: s.depth || 0, children: 0 }));
  const stack = [];
  for (const r of rows) {
    while (stack.length && stack[stack.length - 1].depth >= r.depth) stack.pop();
    if (stack.length) stack[stack.length - 1].children += 1;
    stack.push(r);
  }
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const s of spans) {
    t0 = Math.min(t0, s.start_time_ns);
    t1 = Math.max(t1, s.end_time_ns ?? s.start_time_ns);
  }
  let slowest = null;
  for (const r of rows) {
    if (r.depth === 0 && rows.length > 1) continue;
    if (!slowest || (r.span.duration_ms || 0) > (slowest.span.duration_ms || 0)) slowest = r;
  }
  return { rows, t0, total: Math.max(1, t1 - t0), slowestId: slowest ? slowest.span.span_id : null };
}

/** Rows left visible when the subtrees of `collapsed` (a Set of span ids) are folded. */
export function visibleRows(rows, collapsed) {
  if (!collapsed.size) return rows;
  const out = [];
  let skipDepth = Infinity;
  for (const r of rows) {
    if (r.depth > skipDepth) continue;
    skipDepth = Infinity;
    out.push(r);
    if (collapsed.has(r.span.span_id) && r.children) skipDepth = r.depth;
  }
  return out;
}

/**
 * Mount a waterfall in `host`. `onSelect(span)` is called on click; returns {select(spanId)}.
 */
export function waterfall(host, spans, { selectedId, onSelect }) {
  const model = prepare(spans);
  const collapsed = new Set();
  let visible = model.rows;
  let selected = selectedId;

  const axis = h('div', { class: 'wf-axis' }, h('div', { class: 'wf-axis-label' }, `${fmt.count(spans.length)} spans`), h('div', { class: 'wf-axis-ticks' },
    [0, 0.25, 0.5, 0.75, 1].map((f) => h('span', { class: 'wf-tick', style: { left: `${f * 100}%` }, text: fmt.ms((model.total / 1e6) * f) }))));
  const inner = h('div', { class: 'wf-inner' });
  const viewport = h('div', { class: 'wf-viewport', id: 'waterfall', tabindex: '0' }, inner);
  host.replaceChildren(h('div', { class: 'wf' }, axis, viewport));

  function rowEl(r, i) {
    const s = r.span;
    const failed = s.status === 'error';
    const left = ((s.start_time_ns - model.t0) / model.total) * 100;
    const width = Math.max(0.3, (((s.end_time_ns ?? s.start_time_ns) - s.start_time_ns) / model.total) * 100);
    const cls = ['wf-row', failed ? 'span-error' : '', s.span_id === model.slowestId ? 'span-slowest' : '', s.span_id === selected ? 'selected' : ''].join(' ');
    const toggle = r.children
      ? h('button', { class: 'wf-toggle', 'aria-label': collapsed.has(s.span_id) ? 'Expand' : 'Collapse', onclick: (e) => { e.stopPropagation(); toggleRow(s.span_id); } }, collapsed.has(s.span_id) ? '▸' : '▾')
      : h('span', { class: 'wf-toggle-spacer' });
    return h('div', {
      class: cls, role: 'row', style: { top: `${i * ROW_HEIGHT}px` },
      dataset: { spanId: s.span_id, kind: s.kind || 'other', status: s.status || 'unset' },
      onclick: () => { selected = s.span_id; draw(); onSelect(s); },
    },
    h('div', { class: 'wf-label', style: { 'padding-left': `${6 + Math.min(r.depth, 40) * 14}px` } },
      toggle, kindBadge(s.kind), h('span', { class: 'wf-name', title: s.name, text: s.name }),
      failed ? h('span', { class: 'tag tag-error', text: s.error_class || 'error' }) : null,
      s.span_id === model.slowestId ? h('span', { class: 'tag tag-slow', text: 'slowest' }) : null,
      s.counted === false ? h('span', { class: 'muted small wf-wrapper', title: 'Another LLM span describes the same call: its calls, tokens and cost are counted there', text: 'wrapper: counted in its child' }) : null,
      r.children && collapsed.has(s.span_id) ? h('span', { class: 'muted small', text: `+${r.children}` }) : null),
    h('div', { class: 'wf-track' },
      h('div', { class: `wf-bar kindbar-${KIND_STYLE[s.kind] ? s.kind : 'other'}${failed ? ' bar-error' : ''}`, style: { left: `${left}%`, width: `${width}%` } }),
      width > 30
        ? h('span', { class: 'wf-dur wf-dur-in', style: { left: `${left}%` }, text: fmt.ms(s.duration_ms) })
        : h('span', { class: 'wf-dur', style: { left: `${left + width}%` }, text: fmt.ms(s.duration_ms) })));
  }

  function draw() {
    inner.style.height = `${visible.length * ROW_HEIGHT}px`;
    const top = viewport.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(visible.length, Math.ceil((top + viewport.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    const nodes = [];
    for (let i = first; i < last; i += 1) nodes.push(rowEl(visible[i], i));
    inner.replaceChildren(...nodes);
  }

  function toggleRow(id) {
    if (collapsed.has(id)) collapsed.delete(id); else collapsed.add(id);
    visible = visibleRows(model.rows, collapsed);
    draw();
  }

  // Keyboard: up/down move the selection, left/right fold and unfold the selected subtree.
  viewport.addEventListener('keydown', (e) => {
    const i = visible.findIndex((r) => r.span.span_id === selected);
    const row = visible[i];
    let next = null;
    if (e.key === 'ArrowDown') next = visible[Math.min(visible.length - 1, i + 1)];
    else if (e.key === 'ArrowUp') next = visible[Math.max(0, i - 1)];
    else if (row && e.key === 'ArrowLeft' && row.children && !collapsed.has(selected)) toggleRow(selected);
    else if (row && e.key === 'ArrowRight' && collapsed.has(selected)) toggleRow(selected);
    else return;
    e.preventDefault();
    if (next) { api.select(next.span.span_id); onSelect(next.span); }
  });

  let pending = false;
  viewport.addEventListener('scroll', () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  });
  if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => draw()).observe(viewport);
  draw();

  const api = {
    model,
    select(id) {
      selected = id;
      const i = visible.findIndex((r) => r.span.span_id === id);
      if (i >= 0) {
        const y = i * ROW_HEIGHT;
        if (y < viewport.scrollTop || y > viewport.scrollTop + viewport.clientHeight - ROW_HEIGHT) viewport.scrollTop = Math.max(0, y - viewport.clientHeight / 3);
      }
      draw();
    },
    collapseAll() { for (const r of model.rows) if (r.children && r.depth > 0) collapsed.add(r.span.span_id); visible = visibleRows(model.rows, collapsed); draw(); },
    expandAll() { collapsed.clear(); visible = model.rows; draw(); },
  };
  return api;
}
