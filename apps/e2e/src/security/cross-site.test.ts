/// <reference lib="dom" />
// A web page on another origin attacks `car serve` (the default, with its generated token, and
// `--no-auth`) from real Chromium: nothing happens, the server logs each refusal, and the real UI
// still works (the token comes from the URL `car serve` printed, then leaves the address bar).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, openPage, until } from "../web-helpers/browser.js";
import { makeWebRepo, type WebRepo } from "../web-helpers/repo.js";
import { type CarServer, startCarServe } from "../web-helpers/server.js";
import { ATTACKS, type Attacker, startAttacker } from "./attacker.js";

let browser: Browser;
let attacker: Attacker;

beforeAll(async () => {
  browser = await launchChromium();
  attacker = await startAttacker();
});

afterAll(async () => {
  await browser?.close();
  await attacker?.close();
});

const readIfAny = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");

interface Target {
  repo: WebRepo;
  server: CarServer;
  todo: string;
  state: string;
}

async function target(auth: "default" | "no-auth"): Promise<Target> {
  const repo = makeWebRepo();
  const server = await startCarServe(repo.root, {}, 0, auth);
  return {
    repo,
    server,
    todo: repo.readTodo(),
    state: readIfAny(join(repo.dir, "state.json")),
  };
}

function nothingHappened(t: Target): void {
  expect(t.repo.readTodo(), "TODO unchanged").toBe(t.todo);
  expect(readIfAny(join(t.repo.dir, "state.json")), "state.json unchanged").toBe(t.state);
  expect(existsSync(join(t.repo.dir, "lock")), "no runner started").toBe(false);
  expect(existsSync(join(t.repo.dir, "stop")), "no stop request").toBe(false);
  expect(existsSync(join(t.repo.dir, "chats")), "no chat ran").toBe(false);
  expect(readIfAny(join(t.repo.dir, "codex-autorunner.log")), "no run in the log").not.toContain("=== run");
}

/** Opens the attacker's page in a fresh browser profile, waits for its attempts, returns what it saw. */
async function attack(t: Target, host: "127.0.0.1" | "localhost") {
  const page = await openPage(browser, attacker.pageUrl(host, t.server.url));
  const results = (await until(
    () => page.evaluate(() => (window as unknown as { results: unknown }).results),
    "the attacker's requests to settle",
    30_000,
  )) as Array<{ path: string; outcome: string; status?: number; error?: string }>;
  const origin = `http://${host}:${attacker.port}`;
  const posts = ["/api/run/start", "/api/run/resume", "/api/run/kill", "/api/run/stop", "/api/chat"];
  // Every POST reached the server and was refused there, with a line naming what and from where.
  await until(
    () =>
      posts.every((p) =>
        t.server.output().includes(`refused POST ${p} (FORBIDDEN_ORIGIN): Sec-Fetch-Site `),
      ) && t.server.output().includes(`origin "${origin}"`),
    "the server's refusal lines",
    15_000,
  );
  // The beacon and the form post also came in (3 tries at run/start in all) and were refused.
  await until(
    () =>
      t.server
        .output()
        .split("\n")
        .filter((l) => l.includes(`refused POST /api/run/start`) && l.includes(origin)).length >= 3,
    "beacon and form post refused",
    15_000,
  );
  // The UI in an iframe of the attacker's page never renders (X-Frame-Options / frame-ancestors).
  const framed = page.frames().find((f) => f !== page.mainFrame());
  await until(async () => framed && framed.url() !== "about:blank", "the iframe to navigate", 15_000);
  const uiFrame = page.frames().find((f) => f.url().startsWith(t.server.url));
  const rendered = uiFrame
    ? await uiFrame.evaluate(() => !!document.getElementById("app")).catch(() => false)
    : false;
  expect(rendered, "UI rendered inside the attacker's frame").toBe(false);
  const lines = t.server
    .output()
    .split("\n")
    .filter((l) => l.includes("refused") && l.includes(origin));
  await page.context().close();
  return { results, lines };
}

describe.each(["default", "no-auth"] as const)("a foreign page against `car serve` (%s)", (auth) => {
  let t: Target;
  beforeAll(async () => {
    t = await target(auth);
  });
  afterAll(async () => {
    await t?.server.stop();
    t?.repo.cleanup();
  });

  it.each([
    "127.0.0.1",
    "localhost",
  ] as const)("from http://%s:<other port>: nothing happens, each refusal is logged", async (host) => {
    const { results, lines } = await attack(t, host);
    // The browser did send the no-cors POSTs (opaque answers) and blocked the JSON PUT at its preflight.
    expect(results.filter((r) => r.outcome === "sent").map((r) => r.path)).toEqual(
      ATTACKS.filter((a) => a.via === "no-cors fetch").map((a) => a.path),
    );
    expect(results.find((r) => r.path === "/api/docs/todo")?.outcome).toBe("blocked by the browser");
    nothingHappened(t);
    const site = host === "localhost" ? "cross-site" : "same-site";
    expect(lines.length).toBeGreaterThanOrEqual(7);
    for (const l of lines)
      expect(l).toMatch(
        new RegExp(
          `^codex-autorunner server: refused POST /api/\\S+ \\(FORBIDDEN_ORIGIN\\): Sec-Fetch-Site ${site}; origin "http://${host}:${attacker.port}"$`,
        ),
      );
  });

  it("the server's own page still works: writes from it go through", async () => {
    const url = t.server.token
      ? `${t.server.url}/?token=${t.server.token}#/dashboard`
      : `${t.server.url}/#/dashboard`;
    const page = await openPage(browser, url);
    try {
      await until(
        async () => (await page.getByTestId("status-pill").first().getAttribute("data-status")) === "idle",
        "the state loaded",
      );
      if (t.server.token) {
        // Taken from the URL into storage, and out of the address bar.
        expect(page.url()).toBe(`${t.server.url}/#/dashboard`);
        expect(await page.evaluate(() => localStorage.getItem("car.token"))).toBe(t.server.token);
        await page.reload();
        await until(
          async () => (await page.getByTestId("status-pill").first().getAttribute("data-status")) === "idle",
          "the state loaded again from the stored token",
        );
      }
      const status = await page.evaluate(async (token) => {
        const res = await fetch("api/docs/progress", {
          method: "PUT",
          headers: {
            "Content-Type": "application/json",
            ...(token ? { Authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ content: "# Progress\n\nwritten by the real UI\n" }),
        });
        return res.status;
      }, t.server.token);
      expect(status).toBe(200);
      expect(readFileSync(join(t.repo.dir, "PROGRESS.md"), "utf8")).toBe(
        "# Progress\n\nwritten by the real UI\n",
      );
    } finally {
      await page.context().close();
    }
  });
});
