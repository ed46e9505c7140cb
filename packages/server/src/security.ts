import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { AppContext } from "./context.js";
import { errorJson } from "./errors.js";

/**
 * Two guards for a local tool that can run arbitrary code:
 * - a Host header allowlist, so a web page that rebinds its DNS name to 127.0.0.1 cannot talk to
 *   the API (its requests carry the attacker's host name);
 * - an optional bearer token on every `/api/*` route (`Authorization: Bearer T`, or `?token=T` for
 *   EventSource, which cannot set headers), compared in constant time.
 * No CORS headers are ever sent, so browsers keep other origins from reading responses.
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

export function hostGuard(ctx: AppContext, extra: string[] = []): MiddlewareHandler {
  const fixed = new Set([...LOOPBACK_HOSTS, ...extra.map(asHostHeaderName)]);
  return async (c, next) => {
    // app.request() builds requests without a Host header: the URL's host stands in for it.
    const raw = c.req.header("host") ?? new URL(c.req.url).host;
    const name = hostName(raw);
    let allowed = fixed.has(name);
    if (!allowed) {
      const configured = asHostHeaderName((await ctx.getConfig()).server.host);
      allowed = name === configured;
    }
    if (!allowed) return errorJson(c, "FORBIDDEN_HOST", `Host "${name}" is not allowed`);
    await next();
  };
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
