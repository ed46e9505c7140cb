import { beforeEach, describe, expect, it } from "vitest";
import { adoptTokenFromUrl, getToken, setToken } from "./token.js";

function page(href: string) {
  const calls: string[] = [];
  const hist = {
    state: { kept: true },
    replaceState(state: unknown, _title: string, url?: string | URL | null) {
      expect(state).toEqual({ kept: true });
      calls.push(String(url));
    },
  };
  return { loc: { href }, hist, calls };
}

beforeEach(() => setToken(""));

describe("adoptTokenFromUrl", () => {
  it("stores ?token= and takes it out of the address bar, keeping the route and other parameters", () => {
    const p = page("http://127.0.0.1:4173/?lang=en&token=abc_DEF-123#/docs/todo");
    expect(adoptTokenFromUrl(p.loc, p.hist)).toBe(true);
    expect(getToken()).toBe("abc_DEF-123");
    expect(p.calls).toEqual(["http://127.0.0.1:4173/?lang=en#/docs/todo"]);
  });

  it("a URL without a token changes nothing", () => {
    setToken("stored-before");
    const p = page("http://127.0.0.1:4173/#/dashboard");
    expect(adoptTokenFromUrl(p.loc, p.hist)).toBe(false);
    expect(p.calls).toEqual([]);
    expect(getToken()).toBe("stored-before");
  });

  it("an empty ?token= is removed but does not wipe the stored token", () => {
    setToken("stored-before");
    const p = page("http://127.0.0.1:4173/?token=#/logs");
    expect(adoptTokenFromUrl(p.loc, p.hist)).toBe(false);
    expect(p.calls).toEqual(["http://127.0.0.1:4173/#/logs"]);
    expect(getToken()).toBe("stored-before");
  });
});
