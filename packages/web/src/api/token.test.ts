import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { adoptTokenFromUrl, getToken, onTokenChange, setToken, tokenAccepted } from "./token.js";

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

/** A Map-backed stand-in for the browser's localStorage (node has none). */
function fakeStorage(): Map<string, string> {
  const items = new Map<string, string>();
  vi.stubGlobal("localStorage", {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  });
  return items;
}

let stored: Map<string, string>;

beforeEach(() => {
  stored = fakeStorage();
  setToken("");
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("adoptTokenFromUrl", () => {
  it("uses ?token= at once and takes it out of the address bar, keeping the route and other parameters", () => {
    const p = page("http://127.0.0.1:4173/?lang=en&token=abc_DEF-123#/docs/todo");
    const seen: string[] = [];
    const off = onTokenChange((t) => seen.push(t));
    expect(adoptTokenFromUrl(p.loc, p.hist)).toBe(true);
    off();
    expect(getToken()).toBe("abc_DEF-123");
    expect(seen).toEqual(["abc_DEF-123"]);
    expect(p.calls).toEqual(["http://127.0.0.1:4173/?lang=en#/docs/todo"]);
  });

  it("stores the URL's token (replacing the stored one) only once the server accepted it", () => {
    setToken("good-stored");
    adoptTokenFromUrl(page("http://127.0.0.1:4173/?token=new-token").loc, page("").hist);
    expect(getToken()).toBe("new-token");
    expect(stored.get("car.token")).toBe("good-stored");
    tokenAccepted("good-stored"); // a request still carrying another token proves nothing
    expect(stored.get("car.token")).toBe("good-stored");
    tokenAccepted("new-token");
    expect(stored.get("car.token")).toBe("new-token");
    expect(getToken()).toBe("new-token");
  });

  it("a hostile link with a junk token cannot wipe the stored token", async () => {
    setToken("good-stored");
    adoptTokenFromUrl(page("http://127.0.0.1:4173/?token=junk").loc, page("").hist);
    expect(getToken()).toBe("junk"); // this page tries it (and the server refuses it)
    expect(stored.get("car.token")).toBe("good-stored");
    // The next page load starts from storage again.
    vi.resetModules();
    const fresh = await import("./token.js");
    expect(fresh.getToken()).toBe("good-stored");
  });

  it("a token typed into the Token field replaces an unconfirmed one and is stored at once", () => {
    adoptTokenFromUrl(page("http://127.0.0.1:4173/?token=junk").loc, page("").hist);
    setToken(" typed-token ");
    expect(getToken()).toBe("typed-token");
    expect(stored.get("car.token")).toBe("typed-token");
    tokenAccepted("junk");
    expect(stored.get("car.token")).toBe("typed-token");
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
    const p = page("http://127.0.0.1:4173/?token=%20#/logs");
    expect(adoptTokenFromUrl(p.loc, p.hist)).toBe(false);
    expect(p.calls).toEqual(["http://127.0.0.1:4173/#/logs"]);
    expect(getToken()).toBe("stored-before");
  });
});
