import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { AppContext } from "./context.js";
import { errorJson } from "./errors.js";

/**
 * Guards for a local tool that can run arbitrary code:
 * - a Host header allowlist, so a web page that rebinds its DNS name to 127.0.0.1 cannot talk to
 *   the API (its requests carry the attacker's host name);
 * - no cross-site writes, token or not: a state-changing request must be JSON (a page on another
 *   origin cannot send that without a CORS preflight, which we never answer) and must not come from
 *   another origin or site (`Origin`, `Sec-Fetch-Site`);
 * - a bearer token on every `/api/*` route (`Authorization: Bearer T`, or `?token=T` for
 *   EventSource, which cannot set headers), compared in constant time;
 * - no framing (clickjacking). No CORS headers are ever sent, so other origins cannot read responses.
 */

const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

/** `Host` value without the port, lowercased; IPv6 keeps its brackets. */
export function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
}

/** Bracket a bare IPv6 address the way it appears in a Host header. */
export function asHostHeaderName(host: string): string {
  const h = host.trim().toLowerCase();
  return h.includes(":") && !h.startsWith("[") ? `[${h}]` : h;
}

export function isLoopbackHost(host: string): boolean {
  const h = asHostHeaderName(host);
  return h === "localhost" || h === "[::1]" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The Host a request was sent to; app.request() builds requests without one, so the URL's stands in. */
function requestHost(c: Context): string {
  return c.req.header("host") ?? new URL(c.req.url).host;
}

export function hostGuard(ctx: AppContext, extra: string[] = []): MiddlewareHandler {
  const fixed = new Set([...LOOPBACK_HOSTS, ...extra.map(asHostHeaderName)]);
  return async (c, next) => {
    const name = hostName(requestHost(c));
    let allowed = fixed.has(name);
    if (!allowed) {
      // A broken config.yml must not turn a foreign Host's 403 into the config error (it would leak it).
      const configured = await ctx.getConfig().then(
        (config) => asHostHeaderName(config.server.host),
        () => null,
      );
      allowed = name === configured;
    }
    if (!allowed) {
      ctx.log(refusalLine(c, "FORBIDDEN_HOST", `Host ${printable(name)}`));
      return errorJson(c, "FORBIDDEN_HOST", `Host "${name}" is not allowed`);
    }
    await next();
  };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface WriteRequest {
  method: string;
  /** The Host header (already checked against the allowlist). */
  host: string;
  origin?: string;
  secFetchSite?: string;
  contentType?: string;
}

export interface Refusal {
  code: "FORBIDDEN_ORIGIN" | "UNSUPPORTED_MEDIA_TYPE";
  /** Short reason for the log line. */
  reason: string;
  /** The response's `detail`. */
  detail: string;
}

/**
 * Whether a state-changing request may come through. Scripts and curl send no `Origin`: they pass
 * with a JSON content type. A browser page on another origin can send a "simple" request without a
 * preflight only with a form-like content type, so requiring `application/json` on every write
 * (bodyless kill/stop included) is the CSRF defence; `Origin` and `Sec-Fetch-Site` refuse the rest.
 * `same-site` is refused too: another port of 127.0.0.1 is the same site.
 */
export function writeRefusal(req: WriteRequest): Refusal | null {
  if (SAFE_METHODS.has(req.method.toUpperCase())) return null;
  const site = req.secFetchSite?.trim().toLowerCase();
  if (site === "cross-site" || site === "same-site") {
    return {
      code: "FORBIDDEN_ORIGIN",
      reason: `Sec-Fetch-Site ${site}`,
      detail: `Refused a ${site} request: changes may only come from this server's own page or from scripts`,
    };
  }
  if (req.origin !== undefined && !originMatchesHost(req.origin, req.host)) {
    return {
      code: "FORBIDDEN_ORIGIN",
      reason: "foreign Origin",
      detail: `Refused a request from another origin: changes may only come from this server's own page or from scripts`,
    };
  }
  const type = req.contentType?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    return {
      code: "UNSUPPORTED_MEDIA_TYPE",
      reason: `Content-Type ${type ? printable(type) : "missing"}`,
      detail: `Requests that change something need Content-Type: application/json (found ${type ? printable(type) : "none"})`,
    };
  }
  return null;
}

/** True when `origin` is the scheme+host+port the request was sent to (its Host header). */
export function originMatchesHost(origin: string, hostHeader: string): boolean {
  let url: URL;
  try {
    url = new URL(origin.trim());
  } catch {
    return false; // includes the opaque "null" origin
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  const defaultPort = url.protocol === "https:" ? "443" : "80";
  const name = hostName(hostHeader);
  const h = hostHeader.trim().toLowerCase();
  const portPart = h.slice(name.length);
  const hostPort = portPart.startsWith(":") && portPart.length > 1 ? portPart.slice(1) : defaultPort;
  return url.hostname.toLowerCase() === name && (url.port || defaultPort) === hostPort;
}

export function writeGuard(ctx: AppContext): MiddlewareHandler {
  return async (c, next) => {
    const refusal = writeRefusal({
      method: c.req.method,
      host: requestHost(c),
      origin: c.req.header("origin"),
      secFetchSite: c.req.header("sec-fetch-site"),
      contentType: c.req.header("content-type"),
    });
    if (refusal) {
      const origin = c.req.header("origin");
      ctx.log(refusalLine(c, refusal.code, refusal.reason, origin));
      return errorJson(c, refusal.code, refusal.detail);
    }
    await next();
  };
}

/** No page may frame the UI (clickjacking); responses are never sniffed or sent as a referrer. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    try {
      c.res.headers.set("X-Frame-Options", "DENY");
      c.res.headers.set("Content-Security-Policy", "frame-ancestors 'none'");
      c.res.headers.set("X-Content-Type-Options", "nosniff");
      c.res.headers.set("Referrer-Policy", "no-referrer");
    } catch {
      // A response whose headers already went out (SSE written straight to the socket).
    }
  };
}

/** At most `max` characters, control characters escaped: request values are attacker-controlled. */
function printable(value: string, max = 120): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut).slice(1, -1);
}

/** `codex-autorunner server: refused POST /api/run/start (FORBIDDEN_ORIGIN): Sec-Fetch-Site cross-site; origin "http://…"` */
function refusalLine(c: Context, code: string, reason: string, origin?: string): string {
  const from = origin === undefined ? "no origin" : `origin "${printable(origin)}"`;
  return `codex-autorunner server: refused ${printable(c.req.method, 16)} ${printable(c.req.path)} (${code}): ${reason}; ${from}`;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** Constant-time comparison: equal-length digests, so neither content nor length leaks. */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token a request presents: the Authorization bearer, else `?token=`. */
export function presentedToken(
  authorization: string | undefined,
  queryToken: string | undefined,
): string | null {
  if (authorization) {
    const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return m ? m[1]!.trim() : null;
  }
  return queryToken ?? null;
}

export function authGuard(ctx: AppContext): MiddlewareHandler {
  return async (c, next) => {
    const expected = await ctx.getToken();
    if (expected !== null) {
      const given = presentedToken(c.req.header("authorization"), c.req.query("token"));
      if (given === null || !tokenMatches(given, expected)) {
        c.header("WWW-Authenticate", 'Bearer realm="codex-autorunner"');
        return errorJson(
          c,
          "UNAUTHORIZED",
          given === null ? "Missing token: send Authorization: Bearer <token>" : "Invalid token",
        );
      }
    }
    await next();
  };
}
