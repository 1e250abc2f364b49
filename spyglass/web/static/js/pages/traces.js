// Trace explorer: the filter language in a search box (server errors shown with their
// position), quick filters filled from metrics group-by values, sortable columns, cursor
// paging. All state (q, sort, cursor) lives in the URL hash, so a view is a shareable link.
import { api, ApiError } from '../api.js';
import { h, mount, spinner, empty } from '../dom.js';
import * as fmt from '../format.js';
import { link, scopeQuery, setParams, term, timeWindow } from '../state.js';
import { dataTable, statusBadge, chips } from '../components/table.js';

/** Quick filters: filter-language field, metrics group-by dimension, label. */
export const QUICK_FILTERS = [
  { field: 'model', dim: 'model', label: 'Model' },
  { field: 'response_model', dim: 'response_model', label: 'Snapshot' },
  { field: 'prompt_version', dim: 'prompt_version', label: 'Prompt version' },
  { field: 'feature', dim: 'feature', label: 'Feature' },
  { field: 'tenant', dim: 'tenant_id', label: 'Tenant' },
  { field: 'environment', dim: 'environment', label: 'Environment' },
  { field: 'status', dim: 'status', label: 'Status' },
  { field: 'error_class', dim: 'error_class', label: 'Error class' },
  { field: 'refusal', dim: null, label: 'Refusal', values: ['true', 'false'] },
];

/** Replace (or remove, when value is empty) the `field:...` term of a filter string. */
export function withTerm(q, field, value) {
  const re = new RegExp(`(^|\\s)-?${field.replace('.', '\\.')}:("([^"\\\\]|\\\\.)*"|\\S+)`, 'g');
  const rest = (q || '').replace(re, ' ').replace(/\s+/g, ' ').trim();
  return value ? `${rest} ${term(field, value)}`.trim() : rest;
}

export function currentValue(q, field) {
  const m = new RegExp(`(?:^|\\s)${field.replace('.', '\\.')}:("((?:[^"\\\\]|\\\\.)*)"|(\\S+))`).exec(q || '');
  return m ? (m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]) : '';
}

const SORTABLE = { start_time: 'start_time', duration_ms: 'duration_ms', cost_usd: 'cost_usd', total_tokens: 'total_tokens', span_count: 'span_count' };

function filterError(err, q) {
  // The server names the position of the problem; point at it under the query text.
  const box = h('div', { class: 'filter-error', role: 'alert', id: 'filter-error' });
  box.append(h('strong', { text: 'Filter error: ' }), h('span', { text: err.message }));
  let pos = err.body && Number.isInteger(err.body.position) ? err.body.position : null;
  const m = pos === null ? /at position (\d+)/.exec(err.message || '') : null;
  if (m) pos = Number(m[1]);
  if (pos !== null && q) {
    box.append(h('pre', { class: 'caret' }, h('span', { text: q }), '\n', h('span', { class: 'caret-mark', text: `${' '.repeat(Math.min(pos, q.length))}^` })));
  }
  box.append(h('div', { class: 'muted small', text: 'Examples: model:gpt-4o* status:error latency_ms>5000 feature:support "refund policy"' }));
  return box;
}

async function quickFilters(host, params, q, win, signal) {
  const dims = QUICK_FILTERS.filter((f) => f.dim);
  const results = await Promise.all(dims.map((f) => api.metrics({ group_by: f.dim, start: win.start, end: win.end, q: scopeQuery(params) }, { signal }).catch(() => null)));
  const values = new Map();
  dims.forEach((f, i) => {
    const res = results[i];
    const counts = new Map();
    for (const s of (res && res.series) || []) {
      const v = s.group && s.group[f.dim];
      if (v !== null && v !== undefined && v !== '') counts.set(String(v), (counts.get(String(v)) || 0) + s.count);
    }
    values.set(f.field, [...counts.entries()].sort((a, b) => b[1] - a[1]));
  });
  mount(host, QUICK_FILTERS.map((f) => {
    const cur = currentValue(q, f.field);
    const opts = f.values ? f.values.map((v) => [v, null]) : (values.get(f.field) || []);
    const sel = h('select', {
      class: `quick${cur ? ' set' : ''}`, 'data-field': f.field, 'aria-label': f.label,
      onchange: (e) => setParams({ q: withTerm(q, f.field, e.target.value), cursor: null }),
    }, h('option', { value: '' }, `${f.label}: any`));
    for (const [v, n] of opts) sel.append(h('option', { value: v, selected: v === cur }, n === null ? `${f.label}: ${v}` : `${f.label}: ${v} (${fmt.count(n)})`));
    if (cur && !opts.some(([v]) => v === cur)) sel.append(h('option', { value: cur, selected: true }, `${f.label}: ${cur}`));
    return sel;
  }));
}

export async function render({ el, params, signal }) {
  const win = timeWindow(params);
  const q = params.get('q') || '';
  const sort = params.get('sort') || '-start_time';
  const cursor = params.get('cursor') || '';

  const input = h('input', { id: 'filter-input', class: 'input filter-input', type: 'search', value: q, spellcheck: 'false', autocomplete: 'off', placeholder: 'Filter: model:gpt-4o* status:error latency_ms>5000 "refund policy"', 'aria-label': 'Filter' });
  const form = h('form', { class: 'filter-bar', onsubmit: (e) => { e.preventDefault(); setParams({ q: input.value.trim(), cursor: null }); } },
    input, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Search'),
    q ? h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => setParams({ q: null, cursor: null }) }, 'Clear') : null);
  const quick = h('div', { class: 'quick-filters', id: 'quick-filters' });
  const errorSlot = h('div');
  const results = h('div', { class: 'card' }, spinner('Searching…'));
  mount(el, h('div', { class: 'card filter-card' }, form, quick, errorSlot), results);

  let res;
  try {
    res = await api.traces({ q: scopeQuery(params, q), start: win.start, end: win.end, sort, cursor, limit: 50 }, { signal });
  } catch (e) {
    if (e instanceof ApiError && e.status === 400) {
      mount(errorSlot, filterError(e, q));
      mount(results, empty('Fix the filter to see results.'));
      el.dataset.ready = 'true';
      return;
    }
    throw e;
  }
  const rows = res.items || [];
  const onSort = (s) => setParams({ sort: s, cursor: null });
  const table = rows.length
    ? dataTable([
      { key: 'start_time', label: 'Started', class: 'nowrap', sort: SORTABLE.start_time, render: (r) => fmt.time(r.start_time) },
      { key: 'name', label: 'Request', class: 'nowrap', render: (r) => h('a', { href: link('trace', r.trace_id), class: 'trace-link', text: r.name || fmt.shortId(r.trace_id) }) },
      { key: 'status', label: 'Status', class: 'nowrap', render: (r) => statusBadge(r.status, r.error_class) },
      { key: 'models', label: 'Snapshot', class: 'nowrap', render: (r) => h('span', { title: `requested: ${(r.models || []).join(', ')}` }, chips(r.response_models && r.response_models.length ? r.response_models : r.models)) },
      { key: 'prompt_versions', label: 'Prompt', render: (r) => chips(r.prompt_versions, 'chip chip-prompt') },
      { key: 'feature', label: 'Feature', render: (r) => r.feature || '—' },
      { key: 'duration_ms', label: 'Duration', align: 'right', sort: SORTABLE.duration_ms, render: (r) => fmt.ms(r.duration_ms) },
      { key: 'total_tokens', label: 'Tokens', align: 'right', sort: SORTABLE.total_tokens, render: (r) => fmt.count(r.total_tokens) },
      { key: 'cost_usd', label: 'Cost', align: 'right', sort: SORTABLE.cost_usd, render: (r) => fmt.usd(r.cost_usd) },
      { key: 'span_count', label: 'Spans', align: 'right', sort: SORTABLE.span_count, render: (r) => fmt.count(r.span_count) },
      { key: 'input_preview', label: 'Input', class: 'preview', render: (r) => h('span', { class: 'preview-text', title: r.input_preview || '', text: r.input_preview || '—' }) },
    ], rows, { sort, onSort, rowHref: (r) => link('trace', r.trace_id), rowClass: (r) => (r.status === 'error' ? 'row-error' : '') })
    : empty(q ? 'No requests match this filter in the time range.' : 'No requests in this time range.');
  const pager = h('div', { class: 'pager' },
    h('span', { class: 'muted small', id: 'result-count', text: `${rows.length} request${rows.length === 1 ? '' : 's'} on this page` }),
    cursor ? h('button', { class: 'btn', id: 'first-page', onclick: () => setParams({ cursor: null }) }, '⇤ First page') : null,
    cursor ? h('button', { class: 'btn', onclick: () => history.back() }, '← Previous') : null,
    res.next_cursor ? h('button', { class: 'btn', id: 'next-page', onclick: () => setParams({ cursor: res.next_cursor }) }, 'Next page →') : null);
  mount(results, table, pager);
  el.dataset.ready = 'true';
  // Quick-filter values come after the list: the list is what the user waits for.
  await quickFilters(quick, params, q, win, signal).catch(() => {});
  quick.dataset.loaded = 'true';
}

