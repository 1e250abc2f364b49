// A data table built from column specs; cells are text or nodes made with h(), never HTML.
import { h } from '../dom.js';

/**
 * columns: [{key, label, render?(row) -> string|Node, align?: 'right', sort?: 'field' }]
 * options: {onRowClick(row), rowHref(row), sort: current sort string, onSort(sortString), rowClass(row)}
 */
export function dataTable(columns, rows, options = {}) {
  const thead = h('thead', {}, h('tr', {}, columns.map((c) => {
    const th = h('th', { class: c.align === 'right' ? 'num' : '', scope: 'col' });
    if (c.sort && options.onSort) {
      const desc = `-${c.sort}`;
      const active = options.sort === c.sort || options.sort === desc;
      const arrow = options.sort === desc ? ' ↓' : options.sort === c.sort ? ' ↑' : '';
      th.append(h('button', {
        class: `th-sort${active ? ' active' : ''}`, 'data-sort': c.sort,
        onclick: () => options.onSort(options.sort === desc && c.ascending !== false ? c.sort : desc),
      }, c.label + arrow));
    } else {
      th.textContent = c.label;
    }
    return th;
  })));
  const tbody = h('tbody');
  for (const row of rows) {
    const tr = h('tr', { class: [options.onRowClick || options.rowHref ? 'clickable' : '', options.rowClass ? options.rowClass(row) : ''].join(' ').trim() });
    for (const c of columns) {
      const v = c.render ? c.render(row) : row[c.key];
      tr.append(h('td', { class: c.align === 'right' ? 'num' : (c.class || '') }, v instanceof Node ? v : (v ?? '—')));
    }
    if (options.rowHref) {
      const href = options.rowHref(row);
      tr.dataset.href = href;
      tr.addEventListener('click', (e) => { if (!e.target.closest('a,button')) location.hash = href.replace(/^#/, ''); });
    } else if (options.onRowClick) {
      tr.addEventListener('click', () => options.onRowClick(row));
    }
    tbody.append(tr);
  }
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table' }, thead, tbody));
}

export function statusBadge(status, errorClass) {
  if (status === 'error') return h('span', { class: 'badge badge-error' }, errorClass ? `error · ${errorClass}` : 'error');
  if (status === 'ok') return h('span', { class: 'badge badge-ok' }, 'ok');
  return h('span', { class: 'badge' }, status || 'unset');
}

export function chips(values, cls = 'chip') {
  const list = (values || []).filter(Boolean);
  if (!list.length) return '—';
  return h('span', { class: 'chips' }, list.map((v) => h('span', { class: cls, text: v })));
}
