import { describe, expect, it } from "vitest";
import { ApiError, apiErrorFrom, describeError, networkError } from "./errors.js";

describe("apiErrorFrom", () => {
  it("uses the server's {detail, code}", () => {
    const e = apiErrorFrom(
      409,
      "Conflict",
      '{"detail":"TODO.md changed since it was read","code":"DOC_CONFLICT"}',
    );
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.code, e.detail, e.conflict, e.unauthorized]).toEqual([
      409,
      "DOC_CONFLICT",
      "TODO.md changed since it was read",
      true,
      false,
    ]);
  });

  it("never shows an HTML error page as the message", () => {
    const e = apiErrorFrom(502, "Bad Gateway", "<html><body>nginx</body></html>");
    expect(e.detail).toBe("HTTP 502 Bad Gateway");
    expect(e.code).toBe("HTTP_502");
  });

  it("falls back to plain text bodies and to a per-status explanation", () => {
    expect(apiErrorFrom(500, "", "boom").detail).toBe("boom");
    expect(apiErrorFrom(401, "", "").detail).toMatch(/needs an access token/);
    expect(apiErrorFrom(413, "", "").detail).toMatch(/Too large/);
    expect(apiErrorFrom(418, "I'm a teapot", "").detail).toBe("HTTP 418 I'm a teapot");
  });

  it("survives malformed JSON and truncates huge details", () => {
    expect(apiErrorFrom(500, "", "{not json").detail).toBe("{not json");
    expect(apiErrorFrom(500, "", "x".repeat(1000)).detail.length).toBeLessThanOrEqual(301);
  });
});

describe("describeError", () => {
  it("tells the user what to do about a 401", () => {
    const msg = describeError(apiErrorFrom(401, "", '{"detail":"Invalid token","code":"UNAUTHORIZED"}'));
    expect(msg).toMatch(/^Invalid token\. Enter the server's token/);
  });

  it("explains network failures", () => {
    expect(describeError(networkError(new TypeError("fetch failed")))).toMatch(
      /Cannot reach the server \(fetch failed\)/,
    );
    expect(describeError(new Error("plain"))).toBe("plain");
    expect(describeError("str")).toBe("str");
  });
});
