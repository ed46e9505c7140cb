/** The access token, kept in localStorage so a phone remembers it. Subscribers re-connect on change. */

const KEY = "car.token";
type Listener = (token: string) => void;
const listeners = new Set<Listener>();
let memory = "";
/** A token from the page's `?token=`, in use but not stored until the server accepts it. */
let unconfirmed: string | null = null;

function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    // Private mode / blocked storage: keep the token for this page only.
    return null;
  }
}

export function getToken(): string {
  return unconfirmed ?? storage()?.getItem(KEY) ?? memory;
}

export function setToken(token: string): void {
  const value = token.trim();
  unconfirmed = null;
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

/**
 * `car serve` prints `http://127.0.0.1:4173/?token=…`: on that visit the token is used at once and
 * taken out of the address bar, so it is not bookmarked, shared in a screenshot or kept in history.
 * It replaces the stored token only once the server accepts it (tokenAccepted): a link with a wrong
 * token cannot wipe a good one. Returns whether a token was taken.
 */
export function adoptTokenFromUrl(
  loc: Pick<Location, "href"> = location,
  hist: Pick<History, "replaceState" | "state"> = history,
): boolean {
  const url = new URL(loc.href);
  const token = url.searchParams.get("token");
  if (token === null) return false;
  url.searchParams.delete("token");
  hist.replaceState(hist.state, "", url.toString());
  const value = token.trim();
  if (!value) return false;
  unconfirmed = value;
  for (const fn of listeners) fn(value);
  return true;
}

/** The server answered a request sent with `token`: a token from the URL is stored from now on. */
export function tokenAccepted(token: string): void {
  if (unconfirmed === null || token !== unconfirmed) return;
  unconfirmed = null;
  memory = token;
  storage()?.setItem(KEY, token);
}
