/** The access token, kept in localStorage so a phone remembers it. Subscribers re-connect on change. */

const KEY = "car.token";
type Listener = (token: string) => void;
const listeners = new Set<Listener>();
let memory = "";

function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    // Private mode / blocked storage: keep the token for this page only.
    return null;
  }
}

export function getToken(): string {
  return storage()?.getItem(KEY) ?? memory;
}

export function setToken(token: string): void {
  const value = token.trim();
  memory = value;
  const s = storage();
  if (s) {
    if (value) s.setItem(KEY, value);
    else s.removeItem(KEY);
  }
  for (const fn of listeners) fn(value);
}

export function onTokenChange(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function authHeaders(token = getToken()): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}
