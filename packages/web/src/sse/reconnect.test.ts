import { describe, expect, it } from "vitest";
import { ReconnectPolicy } from "./reconnect.js";

const noJitter = { baseMs: 1000, maxMs: 30_000, jitter: 0 };

describe("ReconnectPolicy", () => {
  it("backs off exponentially up to the cap", () => {
    const p = new ReconnectPolicy(noJitter);
    const delays = Array.from({ length: 8 }, () => {
      const d = p.next({ kind: "network" });
      return d.retry ? d.delayMs : -1;
    });
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(p.failures).toBe(8);
  });

  it("starts over after a connection succeeds", () => {
    const p = new ReconnectPolicy(noJitter);
    p.next({ kind: "network" });
    p.next({ kind: "network" });
    p.onOpen();
    expect(p.next({ kind: "closed" })).toEqual({ retry: true, delayMs: 1000 });
  });

  it("uses the server's retry hint as the base", () => {
    const p = new ReconnectPolicy(noJitter);
    p.onServerRetry(250);
    expect(p.next({ kind: "closed" })).toEqual({ retry: true, delayMs: 250 });
    expect(p.next({ kind: "closed" })).toEqual({ retry: true, delayMs: 500 });
  });

  it("keeps jittered delays within ±jitter of the nominal delay", () => {
    const low = new ReconnectPolicy({ baseMs: 1000, maxMs: 30_000, jitter: 0.2 }, () => 0);
    const high = new ReconnectPolicy({ baseMs: 1000, maxMs: 30_000, jitter: 0.2 }, () => 0.999999);
    expect(low.next({ kind: "network" })).toEqual({ retry: true, delayMs: 800 });
    expect(high.next({ kind: "network" })).toEqual({ retry: true, delayMs: 1200 });
  });

  it("never exceeds the cap even with jitter", () => {
    const p = new ReconnectPolicy({ baseMs: 1000, maxMs: 5000, jitter: 0.5 }, () => 0.999);
    for (let i = 0; i < 10; i++) {
      const d = p.next({ kind: "network" });
      expect(d.retry && d.delayMs <= 5000).toBe(true);
    }
  });

  it("gives up on statuses a retry cannot fix, and retries server errors", () => {
    const p = new ReconnectPolicy(noJitter);
    expect(p.next({ kind: "http", status: 401 })).toEqual({ retry: false, reason: "unauthorized" });
    expect(p.next({ kind: "http", status: 403 })).toEqual({ retry: false, reason: "forbidden" });
    expect(p.next({ kind: "http", status: 404 })).toEqual({ retry: false, reason: "not found" });
    expect(p.next({ kind: "http", status: 503 })).toEqual({ retry: true, delayMs: 1000 });
    expect(p.next({ kind: "http", status: 500 })).toEqual({ retry: true, delayMs: 2000 });
  });
});
