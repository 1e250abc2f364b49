// Entry point: hash router, top bar (time range, environment, feature) and login prompt.
import { api, ApiError } from './api.js';
import { disposeAll } from './charts.js';
import { h, mount, errorBox } from './dom.js';
import { parseHash, RANGES, setParams } from './state.js';
import * as dashboard from './pages/dashboard.js';
import * as traces from './pages/traces.js';
import * as trace from './pages/trace.js';
import * as sessions from './pages/sessions.js';
import * as compare from './pages/compare.js';
import * as models from './pages/models.js';
import * as alerts from '../alerts.js';

const PAGES = {
  dashboard: { module: dashboard, title: 'Overview', nav: 'dashboard' },
  traces: { module: traces, title: 'Traces', nav: 'traces' },
  trace: { module: trace, title: 'Trace', nav: 'traces' },
  sessions: { module: sessions, title: 'Sessions', nav: 'sessions' },
  session: { module: sessions, title: 'Session', nav: 'sessions' },
  compare: { module: compare, title: 'Compare', nav: 'compare' },
  models: { module: models, title: 'Models', nav: 'models' },
  alerts: { module: alerts, title: 'Alerts', nav: 'alerts' },
  incidents: { module: alerts, title: 'Incidents', nav: 'incidents' },
  incident: { module: alerts, title: 'Incident', nav: 'incidents' },
};

const pageEl = document.getElementById('page');
const topbar = document.getElementById('topbar');
let controller = null;
let dimensionCache = null;

async function loadDimensions(signal) {
  // Environments and features seen in the last 30 days fill the top-bar selectors.
  if (dimensionCache) return dimensionCache;
  const start = new Date(Date.now() - 30 * 24 * 3600e3).toISOString();
  const [env, feat] = await Promise.all([
    api.metrics({ group_by: 'environment', start }, { signal }),
    api.metrics({ group_by: 'feature', start }, { signal }),
  ]);
  const values = (res, key) => [...new Set((res.series || []).map((s) => s.group && s.group[key]).filter(Boolean))].sort();
  dimensionCache = { environment: values(env, 'environment'), feature: values(feat, 'feature') };
  return dimensionCache;
}

function select(id, label, options, current, onChange) {
  const sel = h('select', { id, 'aria-label': label, onchange: (e) => onChange(e.target.value) });
  for (const [value, text] of options) sel.append(h('option', { value, selected: value === current }, text));
  return h('label', { class: 'control' }, h('span', { class: 'control-label' }, label), sel);
}

function renderTopbar(title, params, dims) {
  const envs = [['', 'All environments'], ...(dims ? dims.environment.map((e) => [e, e]) : [])];
  const feats = [['', 'All features'], ...(dims ? dims.feature.map((f) => [f, f]) : [])];
  if (params.get('env') && !envs.some(([v]) => v === params.get('env'))) envs.push([params.get('env'), params.get('env')]);
  if (params.get('feature') && !feats.some(([v]) => v === params.get('feature'))) feats.push([params.get('feature'), params.get('feature')]);
  mount(topbar,
    h('h1', { class: 'page-title', text: title }),
    h('div', { class: 'controls' },
      select('range-select', 'Time range', RANGES.map((r) => [r.key, r.label]), params.get('range') || '24h', (v) => setParams({ range: v, cursor: null })),
      select('env-select', 'Environment', envs, params.get('env') || '', (v) => setParams({ env: v, cursor: null })),
      select('feature-select', 'Feature', feats, params.get('feature') || '', (v) => setParams({ feature: v, cursor: null })),
      h('button', { class: 'btn btn-ghost', title: 'Reload', 'aria-label': 'Reload', onclick: () => route() }, '↻')));
}

function loginPrompt(message) {
  const input = h('input', { type: 'password', id: 'login-key', placeholder: 'API key (read or admin scope)', autocomplete: 'off', class: 'input' });
  const problem = h('div', { class: 'login-error', role: 'alert' });
  const form = h('form', {
    class: 'card login', onsubmit: async (e) => {
      e.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      // GET /login sets the HttpOnly cookie; a bad key answers 401 with a message to show here.
      const resp = await fetch(`/login?key=${encodeURIComponent(key)}`, { credentials: 'same-origin' });
      if (resp.ok) { location.hash = location.hash || '#/'; route(); return; }
      let msg = `Sign-in failed (${resp.status})`;
      try { msg = (await resp.json()).message || msg; } catch { /* keep the status line */ }
      mount(problem, h('span', { text: msg }));
      input.select();
    },
  },
  h('h2', { text: 'Sign in to Spyglass' }),
  h('p', { class: 'muted', text: message || 'Paste an API key of this project. It is kept in a cookie for this browser.' }),
  input, problem, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Sign in'));
  mount(topbar, h('h1', { class: 'page-title', text: 'Sign in' }));
  mount(pageEl, form);
  input.focus();
}

export async function route() {
  if (controller) controller.abort();
  controller = new AbortController();
  const { signal } = controller;
  disposeAll();
  // data-ready/data-route let tests (and the benchmark) know which view finished rendering
  delete pageEl.dataset.ready;
  delete pageEl.dataset.complete;
  pageEl.dataset.route = location.hash;
  const { page, id, params } = parseHash();
  const spec = PAGES[page] || PAGES.dashboard;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === spec.nav);
  document.title = `${spec.title} · Spyglass`;
  renderTopbar(spec.title, params, dimensionCache);
  mount(pageEl);
  try {
    await spec.module.render({ el: pageEl, page, id, params, signal });
    // Top-bar choices load after the page (they would compete with its queries on a small
    // machine); a failure there is only a missing convenience.
    if (!dimensionCache) loadDimensions(signal).then((d) => { if (!signal.aborted) renderTopbar(spec.title, params, d); }).catch(() => {});
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    if (e instanceof ApiError && e.status === 401) { loginPrompt(); return; }
    if (e instanceof ApiError && e.status === 403) { loginPrompt('This key cannot read this project. Use a key with read scope.'); return; }
    console.error(e);
    pageEl.append(errorBox(e));
  }
}

async function showProject() {
  try {
    const p = await api.project();
    if (p && p.name) document.getElementById('project-name').textContent = `Project: ${p.name}`;
  } catch { /* not signed in yet or not admin: the footer stays empty */ }
}

window.addEventListener('hashchange', () => route());
route();
setTimeout(showProject, 1500);
