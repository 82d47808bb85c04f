// debug.js -- localStorage.debug = '1' logs connection and event steps.
export function debugOn() {
  try { return localStorage.getItem('debug') === '1'; } catch (e) { return false; }
}

export function log(...args) {
  if (debugOn()) console.log('[parley]', ...args);
}
