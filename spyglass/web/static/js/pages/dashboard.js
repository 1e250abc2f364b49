// Overview dashboard: KPIs with change vs the previous period, histograms, time series with
// release markers, an outlier table and (when the alerts API exists) open alerts.
import { api } from '../api.js';
import { chart, axisTooltip, itemTooltip, loadCharts, GRID, timeAxis, valueAxis, AXIS_LABEL, SPLIT_LINE } from '../charts.js';
import { h, mount, spinner, empty, escapeHtml } from '../dom.js';
import * as fmt from '../format.js';
import { link, scopeQuery, timeWindow } from '../state.js';
import { dataTable, statusBadge, chips } from '../components/table.js';
import { causeLabel } from '../components/cause.js';

const ZERO = { count: 0, error_rate: null, latency_ms: {}, cost_usd: {}, ttft_ms: {}, tokens: {}, feedback: {} };

/** Positive feedback share, the pass-rate signal until evals exist. */
export function positiveRate(row) {
  const f = (row && row.feedback) || {};
  const rated = (f.positive || 0) + (f.negative || 0);
  return rated ? f.positive / rated : null;
}

const KPIS = [
  { id: 'requests', label: 'Requests', value: (r) => r.count, format: fmt.count, goodWhenUp: null },
  { id: 'error-rate', label: 'Error rate', value: (r) => r.error_rate, format: (v) => fmt.pct(v, 2), goodWhenUp: false },
  { id: 'p95-latency', label: 'p95 latency', value: (r) => r.latency_ms && r.latency_ms.p95, format: fmt.ms, goodWhenUp: false },
  { id: 'p95-cost', label: 'p95 cost / request', value: (r) => r.cost_usd && r.cost_usd.p95, format: fmt.usd, goodWhenUp: false },
  { id: 'pass-rate', label: 'Positive feedback', value: positiveRate, format: (v) => fmt.pct(v, 1), goodWhenUp: true },
];

// A change against a previous period with fewer requests than this is noise ("+241400 %"):
// the card shows the previous value itself instead of a percentage.
export const MIN_PREVIOUS_REQUESTS = 30;

/** The KPI's change against the previous period as {text, tone}; tone: good / bad / '' / muted. */
export function deltaText(spec, cur, prev) {
  if (prev === undefined) return { text: 'vs previous period…', tone: 'muted' };
  const v = spec.value(cur);
  const p = spec.value(prev);
  const before = (prev && prev.count) || 0;
  if (before === 0) return { text: 'no previous data', tone: 'muted' };
  if (before < MIN_PREVIOUS_REQUESTS) {
    return { text: `previous: ${spec.format(p)} (${before} requests, too few to compare)`, tone: 'muted' };
  }
  const rate = spec.id === 'error-rate' || spec.id === 'pass-rate';
  const ch = rate ? (fmt.isNum(v) && fmt.isNum(p) ? v - p : null) : fmt.change(v, p); // rates: change in points
  if (ch === null) return { text: 'no previous data', tone: 'muted' };
  const up = ch > 0;
  const flat = Math.abs(ch) < 1e-9;
  const good = spec.goodWhenUp === null || flat ? null : (up === spec.goodWhenUp);
  const text = rate ? `${up ? '+' : ''}${(ch * 100).toFixed(2)} pts` : `${up ? '+' : ''}${(ch * 100).toFixed(1)}%`;
  return { text: `${flat ? '→' : up ? '▲' : '▼'} ${text} vs previous`, tone: good === null ? '' : good ? 'good' : 'bad' };
}

function deltaEl(spec, cur, prev) {
  const d = deltaText(spec, cur, prev);
  return h('span', { class: `delta ${d.tone}`.trim() }, d.text);
}

export { KPIS };

/** A KPI card; `prev` undefined = previous period still loading (the delta fills in later). */
function kpiCard(spec, cur, prev) {
  const v = spec.value(cur);
  return h('div', { class: 'card kpi', 'data-kpi': spec.id },
    h('div', { class: 'kpi-label', text: spec.label }),
    h('div', { class: 'kpi-value', 'data-value': fmt.isNum(v) ? String(v) : '', text: spec.format(v) }),
    deltaEl(spec, cur, prev));
}

function panel(title, body, extra = {}) {
  return h('div', { class: `card panel ${extra.class || ''}`, id: extra.id }, h('div', { class: 'panel-head' }, h('h3', { text: title }), extra.right || null), body);
}

function chartBox(cls = '') { return h('div', { class: `chart ${cls}` }); }

function histogramChart(el, res, field) {
  if (!res) { el.replaceWith(empty('Histogram endpoint not available on this server.')); return; }
  const buckets = res.buckets || [];
  if (!buckets.some((b) => b.count)) { el.replaceWith(empty('No data in this range.')); return; }
  const f = field === 'cost_usd' ? fmt.usd : fmt.ms;
  const ranges = buckets.map((b) => `${f(b.lower)} – ${f(b.upper)}`);
  chart(el, {
    grid: { ...GRID, bottom: 30 },
    tooltip: { ...itemTooltip((it) => `${fmt.count(it.value)} requests`), formatter: (it) => `<div class="tip-head">${escapeHtml(ranges[it.dataIndex])}</div><div class="tip-row">${escapeHtml(fmt.count(it.value))} requests</div>` },
    xAxis: { type: 'category', data: buckets.map((b) => f(b.lower)), axisLabel: { ...AXIS_LABEL, interval: Math.max(0, Math.ceil(buckets.length / 6) - 1) }, axisTick: { alignWithLabel: true } },
    yAxis: { type: 'value', axisLabel: AXIS_LABEL, splitLine: SPLIT_LINE },
    series: [{ type: 'bar', data: buckets.map((b) => b.count), barCategoryGap: '8%', itemStyle: { color: field === 'cost_usd' ? '#8b5cf6' : '#3b82f6', borderRadius: [3, 3, 0, 0] } }],
  });
  el.dataset.total = String(buckets.reduce((a, b) => a + b.count, 0) + (res.zero_count || 0));
}

function spendByModel(el, res) {
  const rows = ((res && res.series) || []).map((s) => ({ model: (s.group && s.group.model) || '(none)', spend: (s.cost_usd || {}).sum || 0, calls: s.count }))
    .sort((a, b) => a.spend - b.spend).slice(-8);
  if (!rows.length) { el.replaceWith(empty('No LLM calls in this range.')); return; }
  chart(el, {
    grid: { ...GRID, left: 150, top: 10 },
    tooltip: { trigger: 'item', className: 'chart-tip', formatter: (it) => `<div class="tip-head">${escapeHtml(it.name)}</div><div class="tip-row">${escapeHtml(fmt.usd(it.value))} · ${escapeHtml(fmt.count(rows[it.dataIndex].calls))} calls</div>` },
    xAxis: valueAxis(fmt.usd),
    yAxis: { type: 'category', data: rows.map((r) => r.model), axisLabel: { ...AXIS_LABEL, width: 140, overflow: 'truncate' } },
    series: [{ type: 'bar', data: rows.map((r) => r.spend), itemStyle: { color: '#10b981', borderRadius: [0, 3, 3, 0] }, barMaxWidth: 22 }],
  });
}

/** First-seen time of each value of `key` (release / prompt_version) inside the window. */
export function firstSeen(series, key) {
  const seen = new Map();
  for (const s of series || []) {
    const v = s.group && s.group[key];
    if (!v || !s.bucket_start || !s.count) continue;
    const t = Date.parse(s.bucket_start);
    if (!seen.has(v) || t < seen.get(v)) seen.set(v, t);
  }
  return [...seen.entries()].sort((a, b) => a[1] - b[1]);
}

function releaseMarks(releases, prompts, bucketStarts) {
  // A value seen in the first two buckets (the first is usually partial) was already live
  // when the window opened; values first seen in the same bucket share one marker.
  const startMs = bucketStarts.length > 1 ? bucketStarts[1] : (bucketStarts[0] ?? Infinity);
  const byTime = new Map();
  for (const [name, t] of releases) if (t > startMs) byTime.set(t, [...(byTime.get(t) || []), `release ${name}`]);
  for (const [name, t] of prompts) if (t > startMs) byTime.set(t, [...(byTime.get(t) || []), name]);
  return {
    symbol: 'none', silent: false,
    lineStyle: { color: '#f59e0b', type: 'dashed', width: 1.5 },
    label: { formatter: (p) => p.name, color: '#b45309', fontSize: 10, position: 'insideEndTop', rotate: 0, align: 'left', offset: [6, 0], backgroundColor: 'rgba(255,251,235,.92)', padding: [1, 3], borderRadius: 3 },
    data: [...byTime.entries()].map(([t, names]) => ({ xAxis: t, name: names.join(' · ') })),
  };
}

const OUTLIERS = [
  { key: 'slowest', label: 'Slowest', load: (p, o) => api.traces({ ...p, sort: '-duration_ms' }, o) },
  { key: 'expensive', label: 'Most expensive', load: (p, o) => api.traces({ ...p, sort: '-cost_usd' }, o) },
  { key: 'lowest', label: 'Lowest scoring', metric: 'Score', load: (p, o) => api.outliers({ ...p, by: 'lowest_score' }, o) },
  { key: 'retried', label: 'Most retried', metric: 'Retries', load: (p, o) => api.outliers({ ...p, by: 'most_retried' }, o) },
];

async function outlierTable(host, params, win, signal) {
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const body = h('div', { class: 'outlier-body' });
  const show = async (spec) => {
    for (const b of tabs.children) b.classList.toggle('active', b.dataset.key === spec.key);
    mount(body, spinner());
    try {
      const res = await spec.load({ q: scopeQuery(params), start: win.start, end: win.end, limit: 8 }, { signal });
      const rows = res.items || [];
      if (!rows.length) { mount(body, empty('No matching requests in this range.')); return; }
      mount(body, dataTable([
        { key: 'name', label: 'Request', render: (r) => h('a', { href: link('trace', r.trace_id), class: 'trace-link', text: r.name || fmt.shortId(r.trace_id) }) },
        { key: 'start_time', label: 'Started', render: (r) => fmt.time(r.start_time) },
        { key: 'status', label: 'Status', render: (r) => statusBadge(r.status, r.error_class) },
        { key: 'models', label: 'Models', render: (r) => chips(r.models) },
        { key: 'duration_ms', label: 'Duration', align: 'right', render: (r) => fmt.ms(r.duration_ms) },
        { key: 'cost_usd', label: 'Cost', align: 'right', render: (r) => fmt.usd(r.cost_usd) },
        { key: 'span_count', label: 'Spans', align: 'right', render: (r) => fmt.count(r.span_count) },
        spec.metric ? { key: 'metric', label: spec.metric, align: 'right', render: (r) => String(Math.round(r.metric * 100) / 100) } : null,
      ].filter(Boolean), rows, { rowHref: (r) => link('trace', r.trace_id) }));
    } catch (e) {
      if (e.name === 'AbortError') return;
      mount(body, h('div', { class: 'empty' }, `Not available: ${e.message}`));
    }
  };
  for (const spec of OUTLIERS) tabs.append(h('button', { class: 'tab', role: 'tab', 'data-key': spec.key, onclick: () => show(spec) }, spec.label));
  host.append(panel('Outliers', h('div', {}, tabs, body), { id: 'outliers' }));
  await show(OUTLIERS[0]);
}

function exampleLink(ids) {
  const id = (ids || [])[0];
  const tid = id && typeof id === 'object' ? id.trace_id : id;
  return tid ? h('a', { href: link('trace', tid), text: 'example trace →' }) : '—';
}

const secondsToIso = (s) => (fmt.isNum(s) ? new Date(s * 1000).toISOString() : null);

/** Open alerts and incidents, shown only when the server has the alerts API. */
async function alertsPanel(host, signal) {
  let res;
  try { res = await api.alertSummary({ signal }); } catch { return; }
  if (!res) return;
  const alerts = res.alerts || [];
  const incidents = res.incidents || [];
  const head = h('span', { class: 'muted small', text: `${res.firing || 0} firing · ${res.pending || 0} pending · ${res.open_incidents || 0} open incidents` });
  const body = h('div', { class: 'alerts-body' },
    incidents.length ? h('div', {}, h('h4', { text: 'Incidents' }), dataTable([
      { key: 'title', label: 'Incident', render: (i) => i.title },
      { key: 'severity', label: 'Severity', render: (i) => h('span', { class: `badge sev-${i.severity || 'info'}`, text: i.severity || 'info' }) },
      { key: 'state', label: 'State', render: (i) => i.state },
      { key: 'opened_at', label: 'Opened', render: (i) => fmt.time(secondsToIso(i.opened_at)) },
      { key: 'cause', label: 'Suspected cause', render: (i) => causeLabel(i.suspected_cause) },
      { key: 'ex', label: '', render: (i) => exampleLink(i.example_traces) },
    ], incidents)) : null,
    alerts.length ? h('div', {}, h('h4', { text: 'Alerts' }), dataTable([
      { key: 'rule_name', label: 'Alert', render: (a) => a.rule_name || a.rule_id },
      { key: 'severity', label: 'Severity', render: (a) => h('span', { class: `badge sev-${a.severity || 'info'}`, text: a.severity || 'info' }) },
      { key: 'state', label: 'State', render: (a) => a.state },
      { key: 'labels', label: 'Group', render: (a) => chips(Object.entries(a.labels || {}).map(([k, v]) => `${k}=${v}`)) },
      { key: 'value', label: 'Value / threshold', align: 'right', render: (a) => `${fmt.isNum(a.value) ? +a.value.toPrecision(3) : '—'} / ${fmt.isNum(a.threshold) ? +a.threshold.toPrecision(3) : '—'}` },
      { key: 'since', label: 'Since', render: (a) => fmt.time(secondsToIso(a.active_since)) },
      { key: 'ex', label: '', render: (a) => exampleLink(a.example_traces) },
    ], alerts)) : null,
    !alerts.length && !incidents.length ? empty('No open alerts or incidents.') : null);
  host.append(panel('Open alerts and incidents', body, { id: 'alerts', right: head }));
}

export async function render({ el, params, signal }) {
  const win = timeWindow(params);
  const q = scopeQuery(params);
  mount(el, spinner('Loading dashboard…'));
  const base = { q, start: win.start, end: win.end };
  // Above the fold first (KPIs, time series); histograms, outliers and alerts follow, so
  // on a small machine the queries the user looks at first do not queue behind the rest.
  const [cur, ts] = await Promise.all([
    api.metrics(base, { signal }),
    api.metrics({ ...base, bucket: win.bucket }, { signal }),
    loadCharts(),
  ]);
  const c = (cur.series && cur.series[0]) || ZERO;

  const kpis = h('div', { class: 'kpis', id: 'kpis' }, KPIS.map((k) => kpiCard(k, c, undefined)));
  const grid = h('div', { class: 'grid' });
  mount(el, kpis, grid);
  if (!c.count) {
    grid.append(h('div', { class: 'card span-all' }, empty('No requests in this time range. Send traces to /v1/traces or run `spyglass demo`.')));
  }

  const series = (ts.series || []).filter((s) => s.bucket_start).sort((a, b) => Date.parse(a.bucket_start) - Date.parse(b.bucket_start));
  const t = (s) => Date.parse(s.bucket_start);

  // Volume and error rate.
  const volEl = chartBox();
  grid.append(panel('Requests and error rate', volEl));
  const volChart = chart(volEl, {
    grid: { ...GRID, right: 50, top: 44 }, legend: { top: 0, left: 0, textStyle: AXIS_LABEL },
    tooltip: axisTooltip((v, name) => (name === 'Error rate' ? fmt.pct(v, 2) : fmt.count(v))),
    xAxis: timeAxis(), yAxis: [valueAxis(fmt.count), valueAxis((v) => fmt.pct(v, 0), { splitLine: { show: false } })],
    series: [
      { name: 'Requests', type: 'bar', data: series.map((s) => [t(s), s.count]), itemStyle: { color: '#93c5fd' } },
      { name: 'Error rate', type: 'line', yAxisIndex: 1, showSymbol: false, data: series.map((s) => [t(s), s.error_rate || 0]), itemStyle: { color: '#ef4444' } },
    ],
  });

  // Histograms (server-side buckets on a log scale).
  const latEl = chartBox();
  const costEl = chartBox();
  grid.append(panel('Latency distribution', latEl, { id: 'latency-histogram' }), panel('Cost per request distribution', costEl, { id: 'cost-histogram' }));

  // TTFT percentiles.
  const ttftEl = chartBox();
  grid.append(panel('Time to first token', ttftEl, { right: h('span', { class: 'muted small', text: `p50 ${fmt.ms(c.ttft_ms && c.ttft_ms.p50)} · p95 ${fmt.ms(c.ttft_ms && c.ttft_ms.p95)} · p99 ${fmt.ms(c.ttft_ms && c.ttft_ms.p99)}` }) }));
  chart(ttftEl, {
    grid: GRID, legend: { top: 0, right: 0, textStyle: AXIS_LABEL }, tooltip: axisTooltip(fmt.ms),
    xAxis: timeAxis(), yAxis: valueAxis(fmt.ms),
    series: ['p50', 'p95', 'p99'].map((k) => ({ name: k, type: 'line', showSymbol: false, connectNulls: true, data: series.map((s) => [t(s), s.ttft_ms ? s.ttft_ms[k] : null]) })),
  });

  // Errors by class and refusal rate.
  const errEl = chartBox();
  grid.append(panel('Errors by class and refusal rate', errEl));
  const classes = [...new Set(series.flatMap((s) => Object.keys(s.errors_by_class || {})))].sort();
  chart(errEl, {
    grid: { ...GRID, right: 50 }, legend: { top: 0, right: 0, textStyle: AXIS_LABEL, type: 'scroll' },
    tooltip: axisTooltip((v, name) => (name === 'Refusal rate' ? fmt.pct(v, 2) : fmt.count(v))),
    xAxis: timeAxis(), yAxis: [valueAxis(fmt.count), valueAxis((v) => fmt.pct(v, 1), { splitLine: { show: false } })],
    series: [
      ...classes.map((k) => ({ name: k, type: 'bar', stack: 'errors', data: series.map((s) => [t(s), (s.errors_by_class || {})[k] || 0]) })),
      { name: 'Refusal rate', type: 'line', yAxisIndex: 1, showSymbol: false, data: series.map((s) => [t(s), s.refusal_rate || 0]), itemStyle: { color: '#0f172a' }, lineStyle: { type: 'dotted' } },
    ],
  });

  // Spend by requested model (filled after the first paint).
  const byModelEl = chartBox();
  grid.append(panel('Spend by model', byModelEl, { id: 'spend-by-model' }));

  // Tokens and spend with release markers.
  const spendEl = chartBox('chart-wide');
  grid.append(panel('Tokens and spend (releases and prompt versions marked)', spendEl, { class: 'span-all', id: 'spend' }));
  const spendChart = chart(spendEl, {
    grid: { ...GRID, right: 60, top: 44 }, legend: { top: 0, left: 0, textStyle: AXIS_LABEL },
    tooltip: axisTooltip((v, name) => (name === 'Spend' ? fmt.usd(v) : fmt.count(v))),
    xAxis: timeAxis(), yAxis: [valueAxis(fmt.count), valueAxis(fmt.usd, { splitLine: { show: false } })],
    series: [
      { name: 'Input tokens', type: 'bar', stack: 'tok', data: series.map((s) => [t(s), (s.tokens || {}).input || 0]), itemStyle: { color: '#a5b4fc' } },
      { name: 'Output tokens', type: 'bar', stack: 'tok', data: series.map((s) => [t(s), (s.tokens || {}).output || 0]), itemStyle: { color: '#6366f1' } },
      { name: 'Spend', type: 'line', yAxisIndex: 1, showSymbol: false, data: series.map((s) => [t(s), (s.cost_usd || {}).sum || 0]), itemStyle: { color: '#10b981' } },
    ],
  });

  // Usable: KPIs and the time series are on screen. The rest streams in: the previous
  // period (KPI deltas), release markers, histograms, outliers, alerts.
  el.dataset.ready = 'true';
  const [prev, byVersion] = await Promise.all([
    api.metrics({ q, start: win.prevStart, end: win.prevEnd }, { signal }),
    api.metrics({ ...base, bucket: win.bucket, group_by: 'release,prompt_version' }, { signal }),
  ]);
  if (signal.aborted) return;
  const p = (prev.series && prev.series[0]) || ZERO;
  for (const k of KPIS) kpis.querySelector(`[data-kpi='${k.id}'] .delta`).replaceWith(deltaEl(k, c, p));
  const marks = releaseMarks(firstSeen(byVersion.series, 'release'), firstSeen(byVersion.series, 'prompt_version'), series.filter((s) => s.count).map(t));
  if (volChart) volChart.setOption({ series: [{ markLine: marks }] });
  if (spendChart) spendChart.setOption({ series: [{}, {}, { markLine: marks }] });
  const [latHist, costHist, byModel] = await Promise.all([
    api.histogram({ ...base, field: 'duration_ms', buckets: 24 }, { signal }).catch(() => null),
    api.histogram({ ...base, field: 'cost_usd', buckets: 24 }, { signal }).catch(() => null),
    api.metrics({ ...base, level: 'span', q: scopeQuery(params, 'kind:llm'), group_by: 'model' }, { signal }).catch(() => null),
  ]);
  if (signal.aborted) return;
  spendByModel(byModelEl, byModel);
  histogramChart(latEl, latHist, 'duration_ms');
  histogramChart(costEl, costHist, 'cost_usd');
  await outlierTable(grid, params, win, signal);
  await alertsPanel(grid, signal);
  el.dataset.complete = 'true';
}
