// The only module that talks to the server: the JSON REST API in docs/api.md, authenticated
// by the spyglass_key cookie that GET /login?key= sets.

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

function query(params) {
  const usp = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '') continue;
    usp.set(k, String(v));
  }
  const s = usp.toString();
  return s ? `?${s}` : '';
}

/** GET a JSON endpoint; throws ApiError carrying the server's {error, message}. */
export async function get(path, params, { signal } = {}) {
  let resp;
  try {
    resp = await fetch(`${path}${query(params)}`, { credentials: 'same-origin', signal, headers: { Accept: 'application/json' } });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', `Cannot reach the server (${e.message})`);
  }
  let body = null;
  const text = await resp.text();
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!resp.ok) {
    const message = body && (body.message || body.detail) ? (body.message || JSON.stringify(body.detail)) : text.slice(0, 300);
    throw new ApiError(resp.status, body && body.error, message, body);
  }
  return body;
}

/** Like get() but resolves to null when the endpoint does not exist (404/405), for optional features. */
export async function getOptional(path, params, opts) {
  try {
    return await get(path, params, opts);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 501)) return null;
    throw e;
  }
}

export const api = {
  traces: (params, opts) => get('/api/v1/traces', params, opts),
  trace: (id, opts) => get(`/api/v1/traces/${encodeURIComponent(id)}`, null, opts),
  spans: (params, opts) => get('/api/v1/spans', params, opts),
  metrics: (params, opts) => get('/api/v1/metrics', params, opts),
  histogram: (params, opts) => getOptional('/api/v1/metrics/histogram', params, opts),
  sessions: (params, opts) => get('/api/v1/sessions', params, opts),
  session: (id, opts) => get(`/api/v1/sessions/${encodeURIComponent(id)}`, null, opts),
  compare: (params, opts) => get('/api/v1/compare', params, opts),
  outliers: (params, opts) => get('/api/v1/outliers', params, opts),
  alertSummary: (opts) => getOptional('/api/v1/alerts/summary', null, opts),
  project: (opts) => getOptional('/api/v1/projects/current', null, opts),
};
