// Trace view: summary, virtualized waterfall + tree, and the selected span's detail.
// The first failed span (else the slowest) is selected on open, so the cause is on screen.
import { api } from '../api.js';
import { h, mount, spinner } from '../dom.js';
import * as fmt from '../format.js';
import { link } from '../state.js';
import { statusBadge, chips } from '../components/table.js';
import { waterfall } from '../components/waterfall.js';
import { spanDetail, feedbackList } from '../components/spandetail.js';

function stat(label, value) {
  return h('div', { class: 'stat' }, h('div', { class: 'stat-label', text: label }), h('div', { class: 'stat-value' }, value));
}

export async function render({ el, id, params, signal }) {
  mount(el, spinner('Loading trace…'));
  const data = await api.trace(id, { signal });
  const spans = data.spans || [];
  const sum = data.summary || {};
  const feedback = data.feedback || [];
  const t0 = spans.reduce((m, s) => Math.min(m, s.start_time_ns), Infinity);

  const failed = spans.find((s) => s.status === 'error' && !spans.some((c) => c.parent_span_id === s.span_id && c.status === 'error'));
  const wanted = params.get('span');

  const header = h('div', { class: 'card trace-head' },
    h('div', { class: 'trace-title' },
      h('h2', { text: sum.name || (spans[0] && spans[0].name) || 'Trace' }), statusBadge(sum.status, sum.error_class),
      h('span', { class: 'mono muted small', text: data.trace_id })),
    h('div', { class: 'stats' },
      stat('Started', fmt.time(sum.start_time)), stat('Duration', fmt.ms(sum.duration_ms)),
      stat('Spans', fmt.count(sum.span_count ?? spans.length)), stat('LLM calls', fmt.count(sum.llm_call_count)),
      stat('Tokens', fmt.count(sum.total_tokens)), stat('Cost', fmt.usd(sum.cost_usd)),
      stat('TTFT', fmt.ms(sum.ttft_ms)), stat('Models', chips(sum.response_models && sum.response_models.length ? sum.response_models : sum.models)),
      stat('Prompt', chips(sum.prompt_versions, 'chip chip-prompt')),
      sum.session_id ? stat('Session', h('a', { href: link('session', sum.session_id), text: fmt.shortId(sum.session_id) })) : null,
      sum.feature ? stat('Feature', sum.feature) : null, sum.environment ? stat('Environment', sum.environment) : null),
    feedback.length ? h('div', { class: 'trace-feedback' }, feedbackList(feedback)) : null);

  const wfHost = h('div', { class: 'card wf-card' });
  const detailHost = h('div', { class: 'card detail-card' });
  const toolbar = h('div', { class: 'wf-toolbar' });
  mount(el, header, h('div', { class: 'trace-body' }, h('div', { class: 'wf-col' }, toolbar, wfHost), detailHost));

  if (!spans.length) { mount(wfHost, h('div', { class: 'empty', text: 'This trace has no spans.' })); return; }
  const showDetail = (s) => { mount(detailHost, spanDetail(s, feedback, t0)); };
  const wf = waterfall(wfHost, spans, {
    selectedId: null,
    onSelect: (s) => {
      showDetail(s);
      history.replaceState(null, '', link('trace', data.trace_id, { span: s.span_id }, params));
      el.dataset.route = location.hash;
    },
  });
  const initial = spans.find((s) => s.span_id === wanted) || failed || spans.find((s) => s.span_id === wf.model.slowestId) || spans[0];
  wf.select(initial.span_id);
  showDetail(initial);
  mount(toolbar,
    h('button', { class: 'btn btn-small', onclick: () => wf.expandAll() }, 'Expand all'),
    h('button', { class: 'btn btn-small', onclick: () => wf.collapseAll() }, 'Collapse all'),
    failed ? h('button', { class: 'btn btn-small btn-danger', id: 'jump-failed', onclick: () => { wf.select(failed.span_id); showDetail(failed); } }, 'Jump to failed span') : null,
    wf.model.slowestId ? h('button', { class: 'btn btn-small', onclick: () => { const s = spans.find((x) => x.span_id === wf.model.slowestId); wf.select(s.span_id); showDetail(s); } }, 'Jump to slowest span') : null,
    h('span', { class: 'legend' }, ...['llm', 'retrieval', 'tool', 'agent', 'chain', 'guardrail'].map((k) => h('span', { class: `legend-item` }, h('span', { class: `legend-swatch kindbar-${k}` }), k))));
  el.dataset.ready = 'true';

}
