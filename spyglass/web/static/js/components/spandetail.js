// Span detail: every canonical field of one span, content rendered as text (roles, tool
// calls, pretty JSON), so whatever an LLM or user wrote can never become markup.
import { h } from '../dom.js';
import * as fmt from '../format.js';
import { kindBadge } from './waterfall.js';

/** Pretty-print JSON given as object or JSON text; other text is returned unchanged. */
export function pretty(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') {
    const t = value.trim();
    if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
      try { return JSON.stringify(JSON.parse(t), null, 2); } catch { return value; }
    }
    return value;
  }
  return JSON.stringify(value, null, 2);
}

const isEmpty = (v) => v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length) || (typeof v === 'object' && !Array.isArray(v) && !Object.keys(v).length);

function section(title, ...body) {
  return h('section', { class: 'detail-section' }, h('h4', { text: title }), ...body);
}

function facts(pairs) {
  const rows = pairs.filter(([, v]) => !isEmpty(v));
  if (!rows.length) return null;
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', { text: k }), h('dd', {}, v instanceof Node ? v : String(v))]));
}

function codeBlock(value, cls = '') {
  return h('pre', { class: `code ${cls}`, text: pretty(value) });
}

function toolCalls(calls) {
  return (calls || []).map((tc) => h('div', { class: 'tool-call' },
    h('div', { class: 'tool-call-head' }, h('span', { class: 'kind kind-tool', text: 'call' }), h('b', { text: tc.name || 'tool' }), tc.id ? h('span', { class: 'muted small', text: tc.id }) : null),
    tc.arguments ? codeBlock(tc.arguments) : null));
}

function message(m) {
  const role = (m && m.role) || 'unknown';
  const parts = (m.parts || []).filter((p) => p && p.type && p.type !== 'text');
  return h('div', { class: `msg msg-${['system', 'user', 'assistant', 'tool'].includes(role) ? role : 'other'}` },
    h('div', { class: 'msg-role' }, role, m.name ? h('span', { class: 'muted', text: ` · ${m.name}` }) : null,
      m.tool_call_id ? h('span', { class: 'muted small', text: ` · result of ${m.tool_call_id}` }) : null,
      m.finish_reason ? h('span', { class: 'muted small', text: ` · ${m.finish_reason}` }) : null),
    m.content ? h('div', { class: 'msg-content', text: pretty(m.content) }) : null,
    toolCalls(m.tool_calls),
    parts.length ? codeBlock(parts) : null);
}

export function messages(list) { return h('div', { class: 'messages' }, (list || []).map(message)); }

function documents(docs) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table docs' },
    h('thead', {}, h('tr', {}, h('th', { text: '#' }), h('th', { text: 'Document' }), h('th', { class: 'num', text: 'Score' }), h('th', { text: 'Content' }))),
    h('tbody', {}, (docs || []).map((d, i) => h('tr', {},
      h('td', { text: String(i + 1) }), h('td', { class: 'mono', text: d.id || '—' }),
      h('td', { class: 'num', text: fmt.isNum(d.score) ? d.score.toFixed(3) : '—' }),
      h('td', {}, h('div', { class: 'doc-content', text: d.content || '' }), d.metadata && Object.keys(d.metadata).length ? h('div', { class: 'muted small', text: JSON.stringify(d.metadata) }) : null))))));
}

function attributes(attrs) {
  const keys = Object.keys(attrs || {}).sort();
  if (!keys.length) return null;
  return h('table', { class: 'table attrs' }, h('tbody', {}, keys.map((k) => h('tr', {}, h('td', { class: 'mono attr-key', text: k }), h('td', { class: 'mono', text: typeof attrs[k] === 'string' ? attrs[k] : JSON.stringify(attrs[k]) })))));
}

function tokenLine(s) {
  const parts = [];
  if (fmt.isNum(s.input_tokens)) parts.push(`${fmt.count(s.input_tokens)} in`);
  if (fmt.isNum(s.output_tokens)) parts.push(`${fmt.count(s.output_tokens)} out`);
  if (fmt.isNum(s.cache_read_tokens) && s.cache_read_tokens) parts.push(`${fmt.count(s.cache_read_tokens)} cache read`);
  if (fmt.isNum(s.cache_write_tokens) && s.cache_write_tokens) parts.push(`${fmt.count(s.cache_write_tokens)} cache write`);
  if (fmt.isNum(s.reasoning_tokens) && s.reasoning_tokens) parts.push(`${fmt.count(s.reasoning_tokens)} reasoning`);
  return parts.join(' · ');
}

function costLine(s) {
  if (!fmt.isNum(s.cost_total_usd)) return '';
  const split = fmt.isNum(s.cost_input_usd) ? ` (in ${fmt.usd(s.cost_input_usd)}, out ${fmt.usd(s.cost_output_usd)})` : '';
  return `${fmt.usd(s.cost_total_usd)}${split}`;
}

/** The detail panel of one span, plus the trace's feedback. */
export function spanDetail(s, feedback, traceStartNs) {
  const failed = s.status === 'error';
  const head = h('div', { class: 'detail-head' },
    kindBadge(s.kind), h('h3', { class: 'detail-title', text: s.name }),
    failed ? h('span', { class: 'badge badge-error', text: `error${s.error_class ? ` · ${s.error_class}` : ''}` }) : h('span', { class: 'badge badge-ok', text: s.status || 'unset' }));
  const out = [head];
  if (failed && (s.status_message || s.error_type)) {
    out.push(h('div', { class: 'error-box' }, h('strong', { text: s.error_type || 'Error' }), ' ', h('span', { text: s.status_message || '' })));
  }
  out.push(facts([
    ['Duration', fmt.ms(s.duration_ms)],
    ['Starts at', `+${fmt.ms((s.start_time_ns - traceStartNs) / 1e6)}`],
    ['Provider', s.provider], ['Operation', s.operation],
    ['Requested model', s.request_model], ['Returned snapshot', s.response_model],
    ['Finish reason', s.finish_reason], ['Streaming', s.is_stream === null || s.is_stream === undefined ? null : String(s.is_stream)],
    ['Time to first token', fmt.isNum(s.ttft_ms) ? fmt.ms(s.ttft_ms) : null],
    ['Tokens', tokenLine(s)], ['Cost', costLine(s)],
    ['Counted', s.counted === false ? 'no: wraps an LLM span of the same call, which is counted' : null],
    ['Refusal', s.refusal ? 'yes' : null], ['Schema valid', s.schema_valid === null || s.schema_valid === undefined ? null : String(s.schema_valid)],
    ['Prompt', s.prompt_name ? `${s.prompt_name}${s.prompt_version ? ` @ ${s.prompt_version}` : ''}` : s.prompt_version],
    ['Agent', s.agent_name], ['Tool', s.tool_name], ['Tool status', s.tool_status],
    ['Guardrail', s.guardrail_decision ? `${s.guardrail_decision}${s.guardrail_rule ? ` (${s.guardrail_rule})` : ''}` : null],
    ['Session', s.session_id], ['User', s.user_id], ['Tenant', s.tenant_id], ['Feature', s.feature],
    ['Environment', s.environment], ['Release', s.release], ['Service', s.service_name],
    ['Response id', s.response_id], ['Span id', s.span_id],
  ]));
  if (s.system_instructions) out.push(section('System instructions', h('div', { class: 'msg msg-system' }, h('div', { class: 'msg-content', text: s.system_instructions }))));
  if (!isEmpty(s.input_messages)) out.push(section('Input messages', messages(s.input_messages)));
  if (!isEmpty(s.output_messages)) out.push(section('Output', messages(s.output_messages)));
  if (!isEmpty(s.tool_calls) && isEmpty(s.output_messages)) out.push(section('Tool calls requested', ...toolCalls(s.tool_calls)));
  if (!isEmpty(s.settings)) out.push(section('Generation settings', codeBlock(s.settings)));
  if (s.prompt_template || !isEmpty(s.prompt_variables)) {
    out.push(section('Prompt record', facts([['Name', s.prompt_name], ['Version', s.prompt_version]]),
      s.prompt_template ? codeBlock(s.prompt_template) : null, !isEmpty(s.prompt_variables) ? codeBlock(s.prompt_variables) : null));
  }
  if (s.retrieval_query || !isEmpty(s.retrieval_documents)) {
    out.push(section(`Retrieval${s.index_version ? ` (index ${s.index_version})` : ''}`,
      s.retrieval_query ? facts([['Query', s.retrieval_query]]) : null,
      isEmpty(s.retrieval_documents) ? h('div', { class: 'empty', text: 'No documents returned.' }) : documents(s.retrieval_documents)));
  }
  if (s.tool_arguments) out.push(section('Tool arguments', codeBlock(s.tool_arguments)));
  if (s.tool_result) out.push(section('Tool result', codeBlock(s.tool_result)));
  if (s.input_value && isEmpty(s.input_messages)) out.push(section('Input', codeBlock(s.input_value, 'io')));
  if (s.output_value && isEmpty(s.output_messages)) out.push(section('Output', codeBlock(s.output_value, 'io')));
  if (!isEmpty(s.output_json_schema)) out.push(section('Requested output schema', codeBlock(s.output_json_schema)));
  if (!isEmpty(s.events)) {
    out.push(section('Events', h('div', {}, s.events.map((e) => h('div', { class: 'event' },
      h('b', { text: e.name }), h('span', { class: 'muted small', text: ` +${fmt.ms((e.time_ns - traceStartNs) / 1e6)}` }),
      !isEmpty(e.attributes) ? codeBlock(e.attributes) : null)))));
  }
  if (!isEmpty(s.tags)) out.push(section('Tags', h('div', { class: 'chips' }, s.tags.map((t) => h('span', { class: 'chip', text: t })))));
  if (!isEmpty(s.metadata)) out.push(section('Metadata', attributes(s.metadata)));
  if (!isEmpty(s.attributes)) out.push(section('Attributes', attributes(s.attributes)));
  if (!isEmpty(s.resource_attributes)) out.push(section('Resource', attributes(s.resource_attributes)));
  if (feedback && feedback.length) out.push(section('Feedback on this trace', feedbackList(feedback)));
  return h('div', { class: 'detail', id: 'span-detail', dataset: { spanId: s.span_id } }, out);
}

export function feedbackList(items) {
  return h('ul', { class: 'feedback' }, items.map((f) => h('li', {},
    h('span', { class: `badge ${f.thumbs === 'down' || (fmt.isNum(f.score) && f.score < 0.5) ? 'badge-error' : 'badge-ok'}`, text: f.thumbs ? (f.thumbs === 'up' ? '👍 up' : '👎 down') : (fmt.isNum(f.score) ? `score ${f.score}` : (f.kind || 'feedback')) }),
    ' ', h('span', { class: 'muted small', text: [f.kind, f.source, fmt.time(f.created_at)].filter(Boolean).join(' · ') }),
    f.comment ? h('div', { class: 'feedback-comment', text: f.comment }) : null)));
}
