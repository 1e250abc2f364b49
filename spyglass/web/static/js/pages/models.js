// Models: requested model vs returned snapshot over time (stacked), so a silent provider
// swap shows as a visible step, plus a table of every (model, snapshot) pair.
import { api } from '../api.js';
import { chart, axisTooltip, loadCharts, GRID, timeAxis, valueAxis, AXIS_LABEL } from '../charts.js';
import { h, mount, spinner, empty } from '../dom.js';
import * as fmt from '../format.js';
import { scopeQuery, timeWindow, link, term } from '../state.js';
import { dataTable } from '../components/table.js';

export async function render({ el, params, signal }) {
  const win = timeWindow(params);
  mount(el, spinner('Loading models…'));
  const q = scopeQuery(params, 'kind:llm');
  const [ts, totals] = await Promise.all([
    api.metrics({ level: 'span', q, start: win.start, end: win.end, bucket: win.bucket, group_by: 'model,response_model' }, { signal }),
    api.metrics({ level: 'span', q, start: win.start, end: win.end, group_by: 'model,response_model' }, { signal }),
    loadCharts(),
  ]);
  const rows = (totals.series || []).map((s) => ({ model: s.group.model || '(none)', snapshot: s.group.response_model || '(not returned)', ...s }))
    .sort((a, b) => a.model.localeCompare(b.model) || b.count - a.count);
  if (!rows.length) { mount(el, h('div', { class: 'card' }, empty('No LLM calls in this time range.'))); el.dataset.ready = 'true'; return; }
  const models = [...new Set(rows.map((r) => r.model))];
  const charts = h('div', { class: 'grid grid-2' });
  mount(el, charts, h('div', { class: 'card' }, h('h3', { text: 'Requested model → returned snapshot' }), dataTable([
    { key: 'model', label: 'Requested model' },
    { key: 'snapshot', label: 'Returned snapshot', render: (r) => h('a', { href: link('traces', null, { q: `${term('model', r.model)} ${term('response_model', r.snapshot)}` }), text: r.snapshot }) },
    { key: 'count', label: 'Calls', align: 'right', render: (r) => fmt.count(r.count) },
    { key: 'share', label: 'Share of model', align: 'right', render: (r) => fmt.pct(r.count / rows.filter((x) => x.model === r.model).reduce((a, x) => a + x.count, 0)) },
    { key: 'p95', label: 'p95 latency', align: 'right', render: (r) => fmt.ms(r.latency_ms && r.latency_ms.p95) },
    { key: 'err', label: 'Error rate', align: 'right', render: (r) => fmt.pct(r.error_rate, 2) },
    { key: 'cost', label: 'Spend', align: 'right', render: (r) => fmt.usd(r.cost_usd && r.cost_usd.sum) },
  ], rows)));
  const series = (ts.series || []).filter((s) => s.bucket_start);
  const buckets = [...new Set(series.map((s) => Date.parse(s.bucket_start)))].sort((a, b) => a - b);
  for (const model of models.slice(0, 8)) {
    const mine = series.filter((s) => (s.group.model || '(none)') === model);
    const snaps = [...new Set(mine.map((s) => s.group.response_model || '(not returned)'))];
    const box = h('div', { class: 'chart' });
    charts.append(h('div', { class: 'card panel', dataset: { model } }, h('div', { class: 'panel-head' }, h('h3', { text: model }), h('span', { class: 'muted small', text: `${snaps.length} snapshot${snaps.length === 1 ? '' : 's'}` })), box));
    chart(box, {
      grid: GRID, legend: { top: 0, right: 0, textStyle: AXIS_LABEL, type: 'scroll' },
      tooltip: axisTooltip((v) => fmt.pct(v, 1)),
      xAxis: timeAxis(), yAxis: valueAxis((v) => fmt.pct(v, 0), { max: 1 }),
      series: snaps.map((snap) => ({
        name: snap, type: 'line', stack: 'share', areaStyle: { opacity: 0.85 }, showSymbol: false, step: 'middle', lineStyle: { width: 0 },
        data: buckets.map((t) => {
          const total = mine.filter((s) => Date.parse(s.bucket_start) === t).reduce((a, s) => a + s.count, 0);
          const n = mine.filter((s) => Date.parse(s.bucket_start) === t && (s.group.response_model || '(not returned)') === snap).reduce((a, s) => a + s.count, 0);
          return [t, total ? n / total : null];
        }),
      })),
    });
  }
  el.dataset.ready = 'true';
}
