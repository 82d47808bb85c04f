// api.js -- fetch wrapper for the REST API (docs/api.md).  Adds the bearer
// token, parses JSON, turns error bodies into ApiError, and reports a 401
// on an authenticated call to the session layer (token expired/invalid).
import { getToken } from './auth.js';
import { log } from './debug.js';
import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
  get network() { return this.status === 0; }
}

let unauthorized = () => {};
export function onUnauthorized(fn) { unauthorized = fn; }

export async function request(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  const token = opts.anonymous ? null : getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (e) {
    log('network error', method, path, e.message);
    throw new ApiError(0, 'network_error', t('api.network'));
  }
  const text = await res.text().catch(() => '');
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch (e) { data = null; } }
  if (!res.ok) {
    const err = new ApiError(res.status,
      (data && data.error && data.error.code) || `http_${res.status}`,
      (data && data.error && data.error.message) || t('api.failed', { status: res.status }));
    log('api error', method, path, res.status, err.code);
    if (res.status === 401 && token) unauthorized(err);
    throw err;
  }
  return data;
}

const q = (params) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) s.set(k, String(v));
  const str = s.toString();
  return str ? `?${str}` : '';
};

export const api = {
  login: (username, password) => request('POST', '/api/auth/login', { username, password }, { anonymous: true }),
  register: (username, password) => request('POST', '/api/auth/register', { username, password }, { anonymous: true }),
  me: () => request('GET', '/api/me'),
  users: (prefix) => request('GET', `/api/users${q({ q: prefix })}`),
  chats: () => request('GET', '/api/chats'),
  chat: (id) => request('GET', `/api/chats/${id}`),
  createDirect: (userId) => request('POST', '/api/chats', { user_id: userId }),
  createGroup: (title, memberIds) => request('POST', '/api/chats', { title, member_ids: memberIds }),
  messages: (chatId, params = {}) => request('GET', `/api/chats/${chatId}/messages${q(params)}`),
  // extra: {attachment_ids?, reply_to_id?}; empty ones are left out.
  send: (chatId, content, clientId, extra = {}) => request('POST', `/api/chats/${chatId}/messages`, {
    content, client_id: clientId,
    ...(extra.attachment_ids && extra.attachment_ids.length ? { attachment_ids: extra.attachment_ids } : {}),
    ...(extra.reply_to_id ? { reply_to_id: extra.reply_to_id } : {}),
  }),
  mute: (chatId, muted) => request('PUT', `/api/chats/${chatId}/mute`, { muted }),
  edit: (id, content) => request('PATCH', `/api/messages/${id}`, { content }),
  remove: (id) => request('DELETE', `/api/messages/${id}`),
  read: (chatId, messageId) => request('POST', `/api/chats/${chatId}/read`, messageId ? { message_id: messageId } : {}),
  typing: (chatId) => request('POST', `/api/chats/${chatId}/typing`),
  sync: (since) => request('GET', `/api/sync${q({ since })}`),
  logout: () => request('POST', '/api/auth/logout'),
  logoutAll: () => request('POST', '/api/auth/logout-all'),
  changePassword: (current, next) => request('POST', '/api/auth/password', { current_password: current, new_password: next }),
  sessions: () => request('GET', '/api/sessions'),
  endSession: (id) => request('DELETE', `/api/sessions/${id}`),
  adminUsers: (after) => request('GET', `/api/admin/users${q({ after, limit: 100 })}`),
  adminDeactivate: (id) => request('POST', `/api/admin/users/${id}/deactivate`),
  adminReactivate: (id) => request('POST', `/api/admin/users/${id}/reactivate`),
  adminPassword: (id, pw) => request('POST', `/api/admin/users/${id}/password`, { new_password: pw }),
};
