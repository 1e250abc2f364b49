// Sessions: the list, and one multi-turn conversation read as a chat, each turn linked to its trace.
import { api } from '../api.js';
import { h, mount, spinner, empty } from '../dom.js';
import * as fmt from '../format.js';
import { link, scopeQuery, setParams, timeWindow } from '../state.js';
import { dataTable, statusBadge } from '../components/table.js';

async function renderList({ el, params, signal }) {
  const win = timeWindow(params);
  mount(el, spinner('Loading sessions…'));
  const cursor = params.get('cursor') || '';
  const res = await api.sessions({ q: scopeQuery(params), start: win.start, end: win.end, cursor, limit: 50 }, { signal });
  const rows = res.items || [];
  const table = rows.length ? dataTable([
    { key: 'session_id', label: 'Session', render: (r) => h('a', { href: link('session', r.session_id), class: 'mono', text: r.session_id }) },
    { key: 'user_id', label: 'User', render: (r) => r.user_id || '—' },
    { key: 'tenant_id', label: 'Tenant', render: (r) => r.tenant_id || '—' },
    { key: 'first_seen', label: 'First seen', render: (r) => fmt.time(r.first_seen) },
    { key: 'last_seen', label: 'Last seen', render: (r) => fmt.time(r.last_seen) },
    { key: 'trace_count', label: 'Turns', align: 'right', render: (r) => fmt.count(r.trace_count) },
    { key: 'error_count', label: 'Errors', align: 'right', render: (r) => (r.error_count ? h('span', { class: 'badge badge-error', text: String(r.error_count) }) : '0') },
    { key: 'total_cost_usd', label: 'Cost', align: 'right', render: (r) => fmt.usd(r.total_cost_usd) },
  ], rows, { rowHref: (r) => link('session', r.session_id) }) : empty('No sessions in this time range (spans need a session id).');
  mount(el, h('div', { class: 'card' }, table, h('div', { class: 'pager' },
    cursor ? h('button', { class: 'btn', onclick: () => setParams({ cursor: null }) }, '⇤ First page') : null,
    res.next_cursor ? h('button', { class: 'btn', onclick: () => setParams({ cursor: res.next_cursor }) }, 'Next page →') : null)));
  el.dataset.ready = 'true';
}

function bubble(role, text, meta) {
  return h('div', { class: `bubble-row ${role}` },
    h('div', { class: `bubble bubble-${role}` },
      h('div', { class: 'bubble-role', text: role === 'user' ? 'User' : 'Assistant' }),
      h('div', { class: 'bubble-text', text: text || '—' }),
      meta || null));
}

async function renderOne({ el, id, signal }) {
  mount(el, spinner('Loading conversation…'));
  const s = await api.session(id, { signal });
  const turns = s.turns || [];
  const totalCost = turns.reduce((a, t) => a + (t.cost_usd || 0), 0);
  const chat = h('div', { class: 'chat', id: 'chat' });
  turns.forEach((t, i) => {
    chat.append(h('div', { class: 'turn-sep' }, h('span', { text: `Turn ${i + 1} · ${fmt.time(t.start_time)}` })));
    if (t.user_input) chat.append(bubble('user', t.user_input));
    chat.append(bubble('assistant', t.assistant_output, h('div', { class: 'bubble-meta' },
      statusBadge(t.status), h('span', { text: ` ${fmt.ms(t.duration_ms)} · ${fmt.usd(t.cost_usd)} · ` }),
      h('a', { href: link('trace', t.trace_id), class: 'turn-trace', text: 'open trace →' }))));
  });
  mount(el, h('div', { class: 'card session-head' },
    h('h2', { class: 'mono', text: s.session_id || id }),
    h('div', { class: 'muted', text: `${turns.length} turns · ${fmt.usd(totalCost)} total` })),
  h('div', { class: 'card' }, turns.length ? chat : empty('This session has no turns.')));
  el.dataset.ready = 'true';
}

export async function render(ctx) {
  return ctx.page === 'session' && ctx.id ? renderOne(ctx) : renderList(ctx);
}
