/** Hash routes (`#/dashboard`, `#/docs/todo`, `#/logs?run=12`): work from any static host and path. */

export const VIEWS = ["dashboard", "docs", "logs", "runs", "chat"] as const;
export type View = (typeof VIEWS)[number];

export interface Route {
  view: View;
  /** Path segments after the view (`#/docs/todo` → ["todo"]). */
  rest: string[];
  params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const body = hash.replace(/^#\/?/, "");
  const q = body.indexOf("?");
  const path = q === -1 ? body : body.slice(0, q);
  const params = new URLSearchParams(q === -1 ? "" : body.slice(q + 1));
  const [first = "", ...rest] = path.split("/").filter(Boolean).map(decodeURIComponent);
  const view = (VIEWS as readonly string[]).includes(first) ? (first as View) : "dashboard";
  return { view, rest: view === first ? rest : [], params };
}

export function href(view: View, rest: string[] = [], params: Record<string, string | number> = {}): string {
  const path = [view, ...rest.map(encodeURIComponent)].join("/");
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  return `#/${path}${qs ? `?${qs}` : ""}`;
}

/**
 * Under `car hub serve` a repo's UI lives at `/repos/<id>/`: then the hub's home is two levels up
 * (relative, so a reverse proxy's sub-path is kept). Null for a page `car serve` serves on its own.
 */
export function hubHome(baseUri: string): string | null {
  const url = new URL(baseUri);
  if (!/\/repos\/[^/]+\/(?:index\.html)?$/.test(url.pathname)) return null;
  return new URL("../../", url).href;
}
