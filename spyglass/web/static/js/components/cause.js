// The suspected cause of an incident (spyglass/alerts/incidents.py), rendered the same way on
// the dashboard's incidents card and on the Incidents pages. Text only, never markup.
import { h, empty } from '../dom.js';
import { dataTable } from './table.js';

/** "prompt_version=v3" for the top cause (with how sure the test is), or "—". */
export function causeLabel(causes) {
  const c = Array.isArray(causes) ? causes[0] : null;
  if (!c || typeof c !== 'object' || c.dimension == null) return '—';
  return c.confidence && c.confidence !== 'none' ? `${c.dimension}=${c.value} (${c.confidence})` : `${c.dimension}=${c.value}`;
}

const pct = (x) => (typeof x === 'number' ? `${(x * 100).toFixed(1)} %` : '—');
const pval = (p) => (typeof p !== 'number' ? '—' : p < 0.0001 ? '< 0.0001' : p.toFixed(4));

/** The causes table, under the analysis note that says how they were found (or why none was). */
export function causeSection(causes, note) {
  const rows = Array.isArray(causes) ? causes.filter((c) => c && typeof c === 'object' && c.dimension != null) : [];
  return h('div', {},
    note ? h('p', { class: 'muted', text: note }) : null,
    rows.length ? dataTable([
      { key: 'dimension', label: 'Dimension' },
      { key: 'value', label: 'Value', render: (r) => h('span', { class: 'mono', text: String(r.value) }) },
      { key: 'failing_count', label: 'Failing', align: 'right', render: (r) => String(r.failing_count) },
      { key: 'healthy_count', label: 'Healthy', align: 'right', render: (r) => (r.healthy_count == null ? '—' : String(r.healthy_count)) },
      { key: 'failing_share', label: 'Share of failing', align: 'right', render: (r) => pct(r.failing_share) },
      { key: 'healthy_share', label: 'Share of healthy', align: 'right', render: (r) => pct(r.healthy_share) },
      { key: 'p_adjusted', label: 'p (Holm)', align: 'right', render: (r) => pval(r.p_adjusted) },
      { key: 'confidence', label: 'Evidence', render: (r) => r.confidence || '—' },
    ], rows) : empty(note ? 'No cause named.' : 'No dimension stands out.'));
}
