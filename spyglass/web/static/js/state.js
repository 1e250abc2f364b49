// URL-held state: the hash is `#/<page>[/<id>]?<params>`, so every view (filters, time range,
// sort, compared versions) is a shareable link and the back button works.

export const RANGES = [
  { key: '1h', label: 'Last hour', ms: 3600e3, bucket: '1m' },
  { key: '6h', label: 'Last 6 hours', ms: 6 * 3600e3, bucket: '5m' },
  { key: '24h', label: 'Last 24 hours', ms: 24 * 3600e3, bucket: '1h' },
  { key: '7d', label: 'Last 7 days', ms: 7 * 24 * 3600e3, bucket: '1h' },
  { key: '30d', label: 'Last 30 days', ms: 30 * 24 * 3600e3, bucket: '1d' },
];
export const GLOBAL_KEYS = ['range', 'env', 'feature'];

export function parseHash(hash = location.hash) {
  const raw = hash.replace(/^#/, '') || '/';
  const qi = raw.indexOf('?');
  const path = qi >= 0 ? raw.slice(0, qi) : raw;
  const params = new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || 'dashboard', id: parts[1] || null, params };
}

/** Build a hash link to `page`/`id` keeping the global params (range, env, feature). */
export function link(page, id = null, params = {}, current = parseHash().params) {
  const usp = new URLSearchParams();
  for (const k of GLOBAL_KEYS) if (current.get(k)) usp.set(k, current.get(k));
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') usp.delete(k); else usp.set(k, String(v));
  }
  const path = page === 'dashboard' ? '/' : `/${page}${id ? `/${encodeURIComponent(id)}` : ''}`;
  const s = usp.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

/** Merge `changes` into the current hash params (null deletes) and navigate. */
export function setParams(changes, { replace = false } = {}) {
  const { params } = parseHash();
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null || v === '') params.delete(k); else params.set(k, String(v));
  }
  const raw = location.hash.replace(/^#/, '') || '/';
  const path = raw.split('?')[0];
  const s = params.toString();
  const next = `#${path}${s ? `?${s}` : ''}`;
  if (replace) history.replaceState(null, '', next); else location.hash = next;
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** The time window chosen in the top bar, as absolute ISO strings, plus the previous window. */
export function timeWindow(params) {
  const r = RANGES.find((x) => x.key === params.get('range')) || RANGES[2];
  const now = Date.now();
  const iso = (t) => new Date(t).toISOString();
  return {
    range: r, start: iso(now - r.ms), end: iso(now), prevStart: iso(now - 2 * r.ms), prevEnd: iso(now - r.ms), bucket: r.bucket,
  };
}

/** Quote a filter value when it is not a bare word. */
export function term(field, value) {
  const v = String(value);
  return /^[\w.\-@/*]+$/.test(v) ? `${field}:${v}` : `${field}:"${v.replace(/(["\\])/g, '\\$1')}"`;
}

/** The filter implied by the top bar (environment, feature), joined with an optional page filter. */
export function scopeQuery(params, extra = '') {
  const parts = [];
  if (params.get('env')) parts.push(term('environment', params.get('env')));
  if (params.get('feature')) parts.push(term('feature', params.get('feature')));
  if (extra && extra.trim()) parts.push(extra.trim());
  return parts.join(' ');
}
