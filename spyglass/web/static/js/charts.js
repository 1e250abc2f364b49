// Thin layer over the vendored Apache ECharts (static/vendor/echarts.min.js, global `echarts`).
// Charts draw on canvas; tooltips are the one place ECharts wants HTML, so every tooltip here
// is built by tooltipHtml(), which escapes all data and uses class names (no inline style,
// which the strict CSP would block anyway).
import { escapeHtml } from './dom.js';

const live = new Set();
const ECHARTS_SRC = '/ui/static/vendor/echarts.min.js';
let loading = null;

/**
 * Load the vendored ECharts once (1 MB). Pages with charts await this together with their
 * API calls, so parsing the library overlaps the queries and pages without charts
 * (explorer, trace) never pay for it.
 */
export function loadCharts() {
  if (window.echarts) return Promise.resolve();
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = ECHARTS_SRC;
      script.onload = () => resolve();
      script.onerror = () => { loading = null; reject(new Error('The chart library failed to load.')); };
      document.head.append(script);
    });
  }
  return loading;
}
export const PALETTE = ['#3b82f6', '#8b5cf6', '#10b981', '#f59e0b', '#ef4444', '#06b6d4', '#ec4899', '#84cc16', '#f97316', '#6366f1', '#14b8a6', '#a855f7'];

const resizeObserver = typeof ResizeObserver !== 'undefined'
  ? new ResizeObserver((entries) => { for (const e of entries) { const c = window.echarts && window.echarts.getInstanceByDom(e.target); if (c) c.resize(); } })
  : null;

/** Create a chart in `el`; it is disposed by disposeAll() when the page changes. */
export function chart(el, option) {
  if (!window.echarts) { el.textContent = 'Chart library failed to load.'; return null; }
  const c = window.echarts.init(el, null, { renderer: 'canvas' });
  c.setOption({ color: PALETTE, animation: false, textStyle: { fontFamily: 'Inter, system-ui, sans-serif' }, ...option });
  live.add(c);
  if (resizeObserver) resizeObserver.observe(el);
  return c;
}

export function disposeAll() {
  for (const c of live) { try { if (resizeObserver) resizeObserver.unobserve(c.getDom()); c.dispose(); } catch { /* already gone */ } }
  live.clear();
}

/** An axis tooltip formatter: `fmt(value, seriesName)` formats each value. */
export function axisTooltip(fmt = (v) => String(v)) {
  return {
    trigger: 'axis',
    className: 'chart-tip',
    formatter: (items) => {
      const list = Array.isArray(items) ? items : [items];
      if (!list.length) return '';
      const head = list[0].axisValueLabel ?? list[0].name ?? '';
      const rows = list
        .filter((it) => it.value !== undefined && it.value !== null)
        .map((it) => {
          const v = Array.isArray(it.value) ? it.value[it.value.length - 1] : it.value;
          return `<div class="tip-row"><span class="tip-dot c${PALETTE.indexOf(it.color) >= 0 ? PALETTE.indexOf(it.color) : 0}"></span>`
            + `<span class="tip-name">${escapeHtml(it.seriesName)}</span><b>${escapeHtml(fmt(v, it.seriesName))}</b></div>`;
        });
      return `<div class="tip-head">${escapeHtml(head)}</div>${rows.join('')}`;
    },
  };
}

export function itemTooltip(fmt) {
  return {
    trigger: 'item',
    className: 'chart-tip',
    formatter: (it) => `<div class="tip-head">${escapeHtml(it.name)}</div><div class="tip-row">${escapeHtml(fmt(it))}</div>`,
  };
}

export const GRID = { left: 56, right: 20, top: 30, bottom: 34, containLabel: false };
export const AXIS_LABEL = { color: '#64748b', fontSize: 11 };
export const SPLIT_LINE = { lineStyle: { color: '#eef2f7' } };

export function timeAxis() {
  return { type: 'time', axisLabel: AXIS_LABEL, axisLine: { lineStyle: { color: '#cbd5e1' } }, splitLine: { show: false } };
}

export function valueAxis(formatter, extra = {}) {
  return { type: 'value', axisLabel: { ...AXIS_LABEL, formatter }, splitLine: SPLIT_LINE, ...extra };
}
