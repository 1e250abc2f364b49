// Alerts and incidents pages (docs/alerts.md), plugged into the SPA router in js/app.js:
//   #/alerts?tab=firing|rules|history|silences|deliveries   and   #/incidents, #/incident/<id>
// Everything from the server is rendered with textContent (through h()), never as HTML.
import { ApiError, get } from './js/api.js';
import { h, mount, spinner, empty } from './js/dom.js';
import { link, setParams } from './js/state.js';
import { dataTable } from './js/components/table.js';
import { causeLabel, causeSection } from './js/components/cause.js';

const TABS = [
  ['firing', 'Firing & pending'],
  ['rules', 'Rules'],
  ['history', 'History'],
  ['silences', 'Silences'],
  ['deliveries', 'Notifications'],
];

/** POST/PUT/DELETE JSON with the session cookie; throws ApiError with the server's message. */
async function send(method, path, body) {
  const resp = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!resp.ok) throw new ApiError(resp.status, data && data.error, (data && data.message) || text.slice(0, 300), data);
  return data;
}

const when = (epochS) => (epochS ? new Date(epochS * 1000).toLocaleString() : '—');
const labelsText = (labels) => Object.entries(labels || {}).map(([k, v]) => `${k}=${v ?? '∅'}`).join(', ') || 'all traffic';
const sevBadge = (sev) => h('span', { class: `badge sev-${sev || 'warning'}`, text: sev || '—' });
const stateBadge = (state) => h('span', { class: `badge ${state === 'firing' || state === 'open' ? 'badge-error' : state === 'resolved' ? 'badge-ok' : ''}`, text: state });

function num(v) {
  if (v === null || v === undefined) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a < 0.01 || a >= 1e6) ? v.toExponential(2) : String(Math.round(v * 1000) / 1000);
}

function traceLinks(ids) {
  return h('span', {}, (ids || []).map((id, i) => [i ? ' ' : '', h('a', { href: link('trace', id), class: 'mono', text: id.slice(0, 8) })]));
}

function message(el, text, isError) {
  el.prepend(h('div', { class: isError ? 'error-box' : 'card muted', text }));
}

async function firingTab(el, signal) {
  const res = await get('/api/v1/alerts', null, { signal });
  const rows = res.items || [];
  return rows.length ? dataTable([
    { key: 'state', label: 'State', render: (r) => stateBadge(r.state) },
    { key: 'severity', label: 'Severity', render: (r) => sevBadge(r.severity) },
    { key: 'rule_name', label: 'Rule' },
    { key: 'labels', label: 'Group', render: (r) => labelsText(r.labels) },
    { key: 'value', label: 'Value', align: 'right', render: (r) => num(r.value) },
    { key: 'threshold', label: 'Threshold', align: 'right', render: (r) => num(r.threshold) },
    { key: 'fired_at', label: 'Since', render: (r) => when(r.fired_at || r.active_since) },
    { key: 'example_traces', label: 'Example traces', render: (r) => traceLinks(r.example_traces) },
    { key: 'incident_id', label: 'Incident', render: (r) => (r.incident_id ? h('a', { href: link('incident', r.incident_id), text: 'open →' }) : (r.silenced_by ? `silenced (${r.silenced_by})` : '—')) },
  ], rows) : empty('No alert is firing or pending.');
}

function ruleEditor(el, rule, onSaved) {
  const area = h('textarea', { class: 'input code', rows: 18, cols: 80, 'aria-label': 'Rule (JSON)' });
  area.value = JSON.stringify(rule ? rule.spec : {
    name: 'my-rule', metric: 'error_rate', window: '5m', condition: { kind: 'threshold', op: '>', value: 0.05 }, min_volume: 20, severity: 'warning',
  }, null, 2);
  const status = h('div', { class: 'muted' });
  const save = async () => {
    let doc;
    try { doc = JSON.parse(area.value); } catch (e) { status.textContent = `Not valid JSON: ${e.message}`; return; }
    try {
      if (rule) await send('PUT', `/api/v1/alerts/rules/${encodeURIComponent(rule.id)}`, doc);
      else await send('POST', '/api/v1/alerts/rules', doc);
      onSaved();
    } catch (e) { status.textContent = e.message; status.className = 'filter-error'; }
  };
  const result = h('div', { id: 'rule-preview' });
  const preview = async () => {
    let doc;
    try { doc = JSON.parse(area.value); } catch (e) { status.textContent = `Not valid JSON: ${e.message}`; return; }
    status.textContent = ''; status.className = 'muted';
    result.dataset.state = 'loading';
    mount(result, spinner('Replaying the rule over the last 7 days…'));
    try {
      mount(result, previewView(await send('POST', '/api/v1/alerts/rules/preview?days=7', doc)));
      result.dataset.state = 'done';
    } catch (e) {
      mount(result, h('div', { class: 'filter-error', text: e.message }));
      result.dataset.state = 'error';
    }
  };
  return h('div', { class: 'card', id: 'rule-editor' },
    h('h3', { text: rule ? `Edit ${rule.name}` : 'New rule' }),
    h('p', { class: 'muted', text: 'The rule format of docs/alerts.md, as JSON. Errors name the field.' }),
    area, status,
    h('div', { class: 'pager' }, h('button', { class: 'btn btn-primary', onclick: save }, 'Save'),
      h('button', { class: 'btn', onclick: preview }, 'Preview over the last 7 days'),
      h('button', { class: 'btn', onclick: () => el.querySelector('#rule-editor')?.remove() }, 'Cancel')),
    result);
}

/** A backtest result (POST /api/v1/alerts/rules/preview): totals, a per-day bar of
 * notifications, and the episodes. Nothing is saved or sent by a preview. */
function previewView(res) {
  const t = res.totals;
  const eps = res.episodes || [];
  const max = Math.max(1, ...res.per_day.map((d) => d.notifications + d.suppressed));
  const days = h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, ['Day (UTC)', 'Firing', 'Renotify', 'Resolved', 'Notifications', ''].map((x) => h('th', { text: x })))),
    h('tbody', {}, res.per_day.map((d) => h('tr', {},
      h('td', { text: d.day }), h('td', { text: String(d.firing) }), h('td', { text: String(d.renotify) }),
      h('td', { text: String(d.resolved) }), h('td', { text: String(d.notifications) + (d.suppressed ? ` (+${d.suppressed} silenced)` : '') }),
      h('td', {}, h('span', { class: 'badge badge-error', style: { display: 'inline-block', width: `${Math.round((100 * d.notifications) / max)}px` }, text: '' }))))));
  return h('div', { class: 'card' },
    h('h3', { text: 'Preview: what this rule would have done' }),
    h('p', {},
      h('strong', { id: 'preview-count', text: `${t.episodes} episode(s)` }),
      ` (${t.still_firing} still firing) over ${res.evaluations} evaluations every ${res.range.step_s} s · ${t.notifications} notification(s): ${t.firing} firing, ${t.renotify} renotify, ${t.resolved} resolved` +
      (res.channels.length ? '' : ' — the rule has no channels, so nothing would be sent')),
    (res.unknown_channels || []).length ? h('p', { class: 'filter-error', text: `Channels not defined in this project: ${res.unknown_channels.join(', ')}` }) : null,
    days,
    eps.length ? dataTable([
      { key: 'start', label: 'Fired', render: (r) => when(r.start) },
      { key: 'end', label: 'Resolved', render: (r) => (r.still_firing ? 'still firing' : when(r.end)) },
      { key: 'labels', label: 'Group', render: (r) => labelsText(r.labels) },
      { key: 'peak_value', label: 'Peak', align: 'right', render: (r) => num(r.peak_value) },
      { key: 'peak_threshold', label: 'Threshold', align: 'right', render: (r) => num(r.peak_threshold) },
      { key: 'notifications', label: 'Notices', align: 'right', render: (r) => String(r.notifications.length) },
      { key: 'example_traces', label: 'Example traces', render: (r) => traceLinks(r.example_traces) },
    ], eps) : empty('This rule would not have fired.'));
}

async function rulesTab(el, signal, rerender) {
  const res = await get('/api/v1/alerts/rules', null, { signal });
  const rows = res.items || [];
  const holder = h('div');
  const edit = (rule) => { holder.querySelector('#rule-editor')?.remove(); holder.prepend(ruleEditor(holder, rule, rerender)); };
  const toggle = async (r) => {
    try { await send('PUT', `/api/v1/alerts/rules/${encodeURIComponent(r.id)}`, { ...r.spec, enabled: !r.enabled }); rerender(); } catch (e) { message(holder, e.message, true); }
  };
  const remove = async (r) => {
    if (!window.confirm(`Delete rule ${r.name}?`)) return;
    try { await send('DELETE', `/api/v1/alerts/rules/${encodeURIComponent(r.id)}`); rerender(); } catch (e) { message(holder, e.message, true); }
  };
  holder.append(h('div', { class: 'pager' }, h('button', { class: 'btn btn-primary', onclick: () => edit(null) }, '+ New rule')),
    rows.length ? dataTable([
      { key: 'name', label: 'Rule' },
      { key: 'metric', label: 'Metric', render: (r) => r.spec.metric + (r.spec.quantile ? ` p${r.spec.quantile * 100}` : '') },
      { key: 'condition', label: 'Condition', render: (r) => { const c = r.spec.condition; return [c.kind, c.op, c.value ?? c.factor, c.baseline ? `vs ${c.baseline}` : ''].filter((x) => x !== undefined && x !== '').join(' '); } },
      { key: 'window', label: 'Window', render: (r) => r.spec.window },
      { key: 'group_by', label: 'Group by', render: (r) => (r.spec.group_by || []).join(', ') || '—' },
      { key: 'min_volume', label: 'Min volume', align: 'right', render: (r) => String(r.spec.min_volume) },
      { key: 'severity', label: 'Severity', render: (r) => sevBadge(r.spec.severity) },
      { key: 'source', label: 'Source' },
      { key: 'last_error', label: 'Status', render: (r) => (r.last_error ? h('span', { class: 'filter-error', text: r.last_error }) : (r.enabled ? 'enabled' : 'disabled')) },
      { key: 'actions', label: '', render: (r) => h('span', {},
        h('button', { class: 'btn btn-small', onclick: () => edit(r) }, 'Edit'), ' ',
        h('button', { class: 'btn btn-small', onclick: () => toggle(r) }, r.enabled ? 'Disable' : 'Enable'), ' ',
        h('button', { class: 'btn btn-small btn-danger', onclick: () => remove(r) }, 'Delete')) },
    ], rows) : empty('No rules yet: the default pack is added on the next evaluation round.'));
  return holder;
}

async function historyTab(el, signal) {
  const res = await get('/api/v1/alerts/history', { limit: 300 }, { signal });
  const rows = res.items || [];
  return rows.length ? dataTable([
    { key: 'at', label: 'Time', render: (r) => when(r.at) },
    { key: 'event', label: 'Event', render: (r) => stateBadge(r.event) },
    { key: 'rule_name', label: 'Rule' },
    { key: 'severity', label: 'Severity', render: (r) => sevBadge(r.severity) },
    { key: 'labels', label: 'Group', render: (r) => labelsText(r.labels) },
    { key: 'value', label: 'Value', align: 'right', render: (r) => num(r.value) },
    { key: 'threshold', label: 'Threshold', align: 'right', render: (r) => num(r.threshold) },
  ], rows) : empty('No alert has changed state yet.');
}

async function silencesTab(el, signal, rerender) {
  const res = await get('/api/v1/alerts/silences', { all: true }, { signal });
  const rows = res.items || [];
  const name = h('input', { class: 'input', placeholder: 'label (e.g. alertname, model)', 'aria-label': 'Label' });
  const value = h('input', { class: 'input', placeholder: 'value', 'aria-label': 'Value' });
  const duration = h('input', { class: 'input', value: '2h', 'aria-label': 'Duration' });
  const reason = h('input', { class: 'input', placeholder: 'reason (kept and shown)', 'aria-label': 'Reason' });
  const status = h('div', { class: 'filter-error' });
  const form = h('form', {
    class: 'card', onsubmit: async (e) => {
      e.preventDefault();
      try {
        await send('POST', '/api/v1/alerts/silences', { matchers: [{ name: name.value.trim(), value: value.value.trim(), op: '=' }], duration: duration.value.trim(), reason: reason.value.trim() });
        rerender();
      } catch (err) { status.textContent = err.message; }
    },
  }, h('h3', { text: 'New silence' }), h('div', { class: 'controls' }, name, value, duration, reason, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Silence')), status);
  const now = Date.now() / 1000;
  const table = rows.length ? dataTable([
    { key: 'matchers', label: 'Matchers', render: (r) => r.matchers.map((m) => `${m.name}${m.op}${m.value}`).join(' ') },
    { key: 'reason', label: 'Reason' },
    { key: 'created_by', label: 'By', render: (r) => r.created_by || '—' },
    { key: 'starts_at', label: 'From', render: (r) => when(r.starts_at) },
    { key: 'ends_at', label: 'Until', render: (r) => when(r.ends_at) },
    { key: 'active', label: '', render: (r) => (r.ends_at > now ? h('button', { class: 'btn btn-small', onclick: async () => { await send('DELETE', `/api/v1/alerts/silences/${encodeURIComponent(r.id)}`); rerender(); } }, 'Expire') : 'expired') },
  ], rows) : empty('No silences.');
  return h('div', {}, form, table);
}

async function deliveriesTab(el, signal) {
  const res = await get('/api/v1/alerts/deliveries', { limit: 300 }, { signal });
  const rows = res.items || [];
  return rows.length ? dataTable([
    { key: 'created_at', label: 'Time', render: (r) => when(r.created_at) },
    { key: 'title', label: 'Alert', render: (r) => r.title || '—' },
    { key: 'kind', label: 'Kind' },
    { key: 'channel', label: 'Channel' },
    { key: 'status', label: 'Status', render: (r) => h('span', { class: `badge ${r.status === 'delivered' ? 'badge-ok' : r.status === 'failed' ? 'badge-error' : ''}`, text: r.status }) },
    { key: 'attempts', label: 'Attempts', align: 'right', render: (r) => String(r.attempts) },
    { key: 'next_attempt_at', label: 'Next retry', render: (r) => when(r.next_attempt_at) },
    { key: 'last_error', label: 'Last error', render: (r) => r.last_error || '—' },
  ], rows) : empty('No notification has been sent yet.');
}

async function renderAlerts({ el, params, signal }) {
  const tab = params.get('tab') || 'firing';
  const body = h('div', { class: 'card' }, spinner());
  mount(el, h('div', { class: 'tabs', role: 'tablist' }, TABS.map(([key, label]) => h('button', {
    class: `tab${key === tab ? ' active' : ''}`, role: 'tab', 'aria-selected': key === tab ? 'true' : 'false', onclick: () => setParams({ tab: key }),
  }, label))), body);
  const rerender = () => renderAlerts({ el, params, signal });
  const fn = { firing: firingTab, rules: rulesTab, history: historyTab, silences: silencesTab, deliveries: deliveriesTab }[tab] || firingTab;
  mount(body, await fn(el, signal, rerender));
  el.dataset.ready = 'true';
}

async function renderIncidents({ el, params, signal }) {
  mount(el, spinner('Loading incidents…'));
  const state = params.get('state') || '';
  const res = await get('/api/v1/incidents', state ? { state } : null, { signal });
  const rows = res.items || [];
  const filters = h('div', { class: 'tabs' }, [['', 'All'], ['open', 'Open'], ['acknowledged', 'Acknowledged'], ['resolved', 'Resolved']].map(([key, label]) => h('button', {
    class: `tab${key === state ? ' active' : ''}`, onclick: () => setParams({ state: key || null }),
  }, label)));
  mount(el, filters, h('div', { class: 'card' }, rows.length ? dataTable([
    { key: 'state', label: 'State', render: (r) => stateBadge(r.state) },
    { key: 'severity', label: 'Severity', render: (r) => sevBadge(r.severity) },
    { key: 'title', label: 'Incident', render: (r) => h('a', { href: link('incident', r.id), text: r.title }) },
    { key: 'cause', label: 'Suspected cause', render: (r) => causeLabel(r.suspected_cause) },
    { key: 'opened_at', label: 'Opened', render: (r) => when(r.opened_at) },
    { key: 'resolved_at', label: 'Resolved', render: (r) => when(r.resolved_at) },
  ], rows, { rowHref: (r) => link('incident', r.id) }) : empty('No incidents.')));
  el.dataset.ready = 'true';
}

async function renderIncident({ el, id, signal }) {
  mount(el, spinner('Loading incident…'));
  const inc = await get(`/api/v1/incidents/${encodeURIComponent(id)}`, null, { signal });
  const rerender = () => renderIncident({ el, id, signal });
  const act = async (path, body) => { try { await send('POST', `/api/v1/incidents/${encodeURIComponent(id)}/${path}`, body); rerender(); } catch (e) { message(el, e.message, true); } };
  const note = h('input', { class: 'input', placeholder: 'Add a note to the timeline', 'aria-label': 'Note' });
  const cause = inc.suspected_cause || [];
  mount(el,
    h('div', { class: 'card detail-head' },
      h('h2', { text: inc.title }),
      h('div', {}, stateBadge(inc.state), ' ', sevBadge(inc.severity), h('span', { class: 'muted', text: ` opened ${when(inc.opened_at)}` })),
      h('div', { class: 'pager' },
        inc.state === 'open' ? h('button', { class: 'btn', onclick: () => act('acknowledge') }, 'Acknowledge') : null,
        inc.state !== 'resolved' ? h('button', { class: 'btn btn-primary', onclick: () => act('resolve') }, 'Resolve') : null)),
    h('div', { class: 'card' }, h('h3', { text: 'Suspected cause' }),
      causeSection(cause, ((inc.timeline || []).find((e) => e.kind === 'analysis') || {}).text)),
    h('div', { class: 'card' }, h('h3', { text: 'Alerts' }), (inc.alerts || []).length ? dataTable([
      { key: 'rule_name', label: 'Rule' },
      { key: 'labels', label: 'Group', render: (r) => labelsText(r.labels) },
      { key: 'attached_at', label: 'Fired', render: (r) => when(r.attached_at) },
    ], inc.alerts) : empty('No alerts attached.')),
    h('div', { class: 'card' }, h('h3', { text: 'Example traces' }), (inc.example_traces || []).length
      ? h('ul', {}, inc.example_traces.map((t) => h('li', {}, h('a', { href: link('trace', t), class: 'mono', text: t }))))
      : empty('No example traces.')),
    h('div', { class: 'card' }, h('h3', { text: 'Timeline' }),
      h('ul', { class: 'timeline' }, (inc.timeline || []).map((e) => h('li', {},
        h('span', { class: 'muted', text: `${when(e.at)} · ` }), h('strong', { text: e.kind }), ` ${e.text}`, e.author ? h('span', { class: 'muted', text: ` — ${e.author}` }) : null))),
      h('form', { class: 'controls', onsubmit: (e) => { e.preventDefault(); if (note.value.trim()) act('notes', { text: note.value.trim() }); } },
        note, h('button', { class: 'btn', type: 'submit' }, 'Add note'))));
  el.dataset.ready = 'true';
}

export async function render(ctx) {
  if (ctx.page === 'incident' && ctx.id) return renderIncident(ctx);
  if (ctx.page === 'incidents') return renderIncidents(ctx);
  return renderAlerts(ctx);
}
