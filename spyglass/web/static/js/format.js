// Number and time formatting shared by every page.

const nf0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const nf1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const nf2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

export function count(v) {
  if (!isNum(v)) return '—';
  if (Math.abs(v) >= 1e6) return `${nf1.format(v / 1e6)}M`;
  if (Math.abs(v) >= 1e4) return `${nf1.format(v / 1e3)}k`;
  return nf0.format(v);
}

export function ms(v) {
  if (!isNum(v)) return '—';
  if (v >= 60000) return `${nf1.format(v / 60000)} min`;
  if (v >= 1000) return `${nf2.format(v / 1000)} s`;
  if (v >= 10) return `${nf0.format(v)} ms`;
  return `${nf1.format(v)} ms`;
}

export function usd(v) {
  if (!isNum(v)) return '—';
  if (v === 0) return '$0';
  const a = Math.abs(v);
  if (a >= 100) return `$${nf0.format(v)}`;
  if (a >= 1) return `$${nf2.format(v)}`;
  if (a >= 0.01) return `$${v.toFixed(3)}`;
  if (a >= 0.001) return `$${v.toFixed(4)}`;
  // below a tenth of a cent, millionths of a dollar: "0.16 µ$" reads better than $0.00000016
  const micro = v * 1e6;
  return `${Math.abs(micro) >= 10 ? nf0.format(micro) : Math.abs(micro) >= 1 ? nf1.format(micro) : nf2.format(micro)} µ$`;
}

export function pct(v, digits = 1) {
  if (!isNum(v)) return '—';
  return `${(v * 100).toFixed(digits)}%`;
}

export function tokens(v) { return count(v); }

export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString('en-GB', { month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function shortId(id) { return id ? String(id).slice(0, 8) : '—'; }

/** Relative change between two values as a signed fraction, or null when undefined. */
export function change(current, previous) {
  if (!isNum(current) || !isNum(previous) || previous === 0) return null;
  return (current - previous) / Math.abs(previous);
}

export function pValue(p) {
  if (!isNum(p)) return '—';
  if (p < 0.001) return 'p < 0.001';
  return `p = ${p.toFixed(3)}`;
}
