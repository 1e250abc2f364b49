// Compare two prompt versions, models, snapshots or releases side by side, with the
// significance test the server ran for each metric (GET /api/v1/compare).
import { api } from '../api.js';
import { h, mount, spinner, empty } from '../dom.js';
import * as fmt from '../format.js';
import { link, scopeQuery, setParams, timeWindow } from '../state.js';
import { dataTable, statusBadge } from '../components/table.js';

export const DIMENSIONS = [
  { key: 'prompt_version', label: 'Prompt version' },
  { key: 'model', label: 'Requested model' },
  { key: 'response_model', label: 'Model snapshot' },
  { key: 'release', label: 'Release' },
];

function formatValue(m, v) {
  if (!fmt.isNum(v)) return '—';
  switch (m.unit) {
    case 'ratio': return fmt.pct(v, 2);
    case 'ms': return fmt.ms(v);
    case 'usd': return fmt.usd(v);
    case 'count': return fmt.count(v);
    default: return String(Math.round(v * 1000) / 1000);
  }
}

function diffText(m) {
  if (!fmt.isNum(m.diff)) return '—';
  const sign = m.diff > 0 ? '+' : '';
  const abs = m.unit === 'ratio' ? `${sign}${(m.diff * 100).toFixed(2)} pts` : `${sign}${formatValue(m, m.diff).replace(/^\$-/, '-$')}`;
  return fmt.isNum(m.relative_diff) ? `${abs} (${sign}${(m.relative_diff * 100).toFixed(1)}%)` : abs;
}

function verdict(m) {
  if (m.significant === null || m.significant === undefined) return h('span', { class: 'muted small', text: m.note || 'not tested' });
  if (!m.significant) return h('span', { class: 'sig sig-none', text: 'no significant difference' });
  const worse = m.better === 'lower' ? m.diff > 0 : m.better === 'higher' ? m.diff < 0 : null;
  return h('span', { class: `sig ${worse === null ? 'sig-neutral' : worse ? 'sig-worse' : 'sig-better'}`, text: worse === null ? 'significant' : worse ? 'significantly worse' : 'significantly better' });
}

async function options(dimension, params, win, signal) {
  const res = await api.metrics({ group_by: dimension, q: scopeQuery(params), start: win.start, end: win.end }, { signal });
  return (res.series || []).map((s) => [s.group && s.group[dimension], s.count]).filter(([v]) => v).sort((a, b) => b[1] - a[1]);
}

function examples(title, rows) {
  return h('div', { class: 'card' }, h('h3', { text: title }), rows && rows.length ? dataTable([
    { key: 'name', label: 'Request', render: (r) => h('a', { href: link('trace', r.trace_id), text: r.name || fmt.shortId(r.trace_id) }) },
    { key: 'status', label: 'Status', render: (r) => statusBadge(r.status, r.error_class) },
    { key: 'duration_ms', label: 'Duration', align: 'right', render: (r) => fmt.ms(r.duration_ms) },
    { key: 'cost_usd', label: 'Cost', align: 'right', render: (r) => fmt.usd(r.cost_usd) },
  ], rows, { rowHref: (r) => link('trace', r.trace_id) }) : empty('No examples.'));
}

export async function render({ el, params, signal }) {
  const win = timeWindow(params);
  const dimension = DIMENSIONS.some((d) => d.key === params.get('dimension')) ? params.get('dimension') : 'prompt_version';
  mount(el, spinner());
  const opts = await options(dimension, params, win, signal);
  const a = params.get('a') || (opts[1] ? opts[1][0] : '');
  const b = params.get('b') || (opts[0] ? opts[0][0] : '');
  const pick = (id, label, current, key) => {
    const sel = h('select', { id, 'aria-label': label, class: 'input', onchange: (e) => setParams({ [key]: e.target.value }) }, h('option', { value: '' }, `Choose ${label}`));
    for (const [v, n] of opts) sel.append(h('option', { value: v, selected: v === current }, `${v} (${fmt.count(n)})`));
    if (current && !opts.some(([v]) => v === current)) sel.append(h('option', { value: current, selected: true }, current));
    return h('label', { class: 'control' }, h('span', { class: 'control-label', text: label }), sel);
  };
  const dimSel = h('select', { id: 'compare-dimension', class: 'input', 'aria-label': 'Compare by', onchange: (e) => setParams({ dimension: e.target.value, a: null, b: null }) },
    DIMENSIONS.map((d) => h('option', { value: d.key, selected: d.key === dimension }, d.label)));
  const controls = h('div', { class: 'card compare-controls' },
    h('label', { class: 'control' }, h('span', { class: 'control-label', text: 'Compare by' }), dimSel),
    pick('compare-a', 'A (baseline)', a, 'a'), h('span', { class: 'vs', text: 'vs' }), pick('compare-b', 'B (candidate)', b, 'b'));
  const body = h('div');
  mount(el, controls, body);
  if (!a || !b) { mount(body, h('div', { class: 'card' }, empty(opts.length < 2 ? 'Need at least two values of this dimension in the time range.' : 'Choose two values to compare.'))); el.dataset.ready = 'true'; return; }

  mount(body, spinner('Running tests…'));
  const res = await api.compare({ dimension, a, b, q: scopeQuery(params), start: win.start, end: win.end }, { signal });
  const metrics = res.metrics || [];
  const table = h('div', { class: 'table-wrap' }, h('table', { class: 'table compare-table', id: 'compare-table' },
    h('thead', {}, h('tr', {}, ['Metric', `A: ${a}`, `B: ${b}`, 'B − A', 'Test', 'p-value', 'Verdict'].map((t, i) => h('th', { class: i >= 1 && i <= 3 ? 'num' : '', text: t })))),
    h('tbody', {}, metrics.map((m) => h('tr', { dataset: { metric: m.key, significant: String(Boolean(m.significant)) } },
      h('td', { text: m.label }), h('td', { class: 'num', text: formatValue(m, m.a) }), h('td', { class: 'num', text: formatValue(m, m.b) }),
      h('td', { class: 'num', text: diffText(m) }), h('td', { class: 'muted small', text: m.test || '—' }),
      h('td', { class: 'num', text: fmt.pValue(m.p_value) }), h('td', {}, verdict(m)))))));
  mount(body,
    h('div', { class: 'card' },
      h('div', { class: 'panel-head' }, h('h3', { text: `${DIMENSIONS.find((d) => d.key === dimension).label}: ${a} vs ${b}` }),
        h('span', { class: 'muted small', text: `n = ${fmt.count(res.n_a)} vs ${fmt.count(res.n_b)} requests · significance at α = ${res.alpha ?? 0.05}` })),
      table,
      h('p', { class: 'muted small', text: 'Rates: two-sided Fisher exact test when a cell is small, else two-proportion z-test. Latency, TTFT, cost and tokens: two-sided Mann–Whitney U test on per-request values. The verdict uses Holm-adjusted p-values across this table (raw p shown), so comparing identical versions rarely flags a difference by chance.' })),
    h('div', { class: 'grid grid-2' }, examples(`Examples from A: ${a}`, res.examples && res.examples.a), examples(`Examples from B: ${b}`, res.examples && res.examples.b)));
  el.dataset.ready = 'true';
}
