// auth.js -- the session kept in localStorage: 'access_token' and 'user'.
export function getToken() {
  try { return localStorage.getItem('access_token'); } catch (e) { return null; }
}

export function getUser() {
  try { return JSON.parse(localStorage.getItem('user') || 'null'); } catch (e) { return null; }
}

export function saveSession(token, user) {
  localStorage.setItem('access_token', token);
  localStorage.setItem('user', JSON.stringify(user));
}

export function saveUser(user) {
  localStorage.setItem('user', JSON.stringify(user));
}

export function clearSession() {
  localStorage.removeItem('access_token');
  localStorage.removeItem('user');
}
