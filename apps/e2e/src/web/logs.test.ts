// Live log behaviour in real Chromium: auto-scroll that pauses when the user scrolls up, and a
// stream that survives a server restart (reconnect + connection indicator).
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, openPage, screenshot, until } from "../web-helpers/browser.js";
import { makeWebRepo, type WebRepo } from "../web-helpers/repo.js";
import { type CarServer, freePort, killRunner, startCarServe } from "../web-helpers/server.js";

let repo: WebRepo;
let server: CarServer;
let port: number;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  repo = makeWebRepo({ items: ["one", "two", "three"], lines: 80, lineDelayMs: 120 });
  port = await freePort();
  server = await startCarServe(repo.root, {}, port);
  browser = await launchChromium();
  page = await openPage(browser, `${server.url}/#/logs`, { width: 375, height: 812 });
});

afterAll(async () => {
  if (server) await killRunner(server.url);
  await browser?.close();
  await server?.stop();
  repo?.cleanup();
});

const lineCount = () => page.locator("[data-testid=log-lines] .ll").count();
const box = () => page.getByTestId("log-box");
const atBottom = () =>
  box().evaluate(
    (el) => el.scrollHeight - el.scrollTop - el.clientHeight < 40 && el.scrollHeight > el.clientHeight,
  );

async function start(): Promise<void> {
  const res = await fetch(`${server.url}/api/run/start`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: '{"once":true}',
  });
  expect(res.status).toBe(202);
}

describe("live logs", () => {
  it("follows new lines, pauses when the user scrolls up, and resumes on demand", async () => {
    await until(
      async () => (await page.getByTestId("conn").first().getAttribute("data-conn")) === "open",
      "live",
    );
    await start();
    await until(async () => (await lineCount()) > 45, "enough lines to scroll", 60_000);
    await until(atBottom, "following the tail");
    // The user scrolls up to read: following stops and new lines do not yank the view down.
    await box().evaluate((el) => {
      el.scrollTop = 0;
      el.dispatchEvent(new Event("scroll"));
    });
    await page.getByTestId("jump-latest").waitFor();
    const before = await lineCount();
    await until(async () => (await lineCount()) > before + 5, "more lines while paused", 60_000);
    expect(await box().evaluate((el) => el.scrollTop)).toBe(0);
    await screenshot(page, "logs-paused-375");
    await page.getByTestId("jump-latest").click();
    await until(atBottom, "back at the tail");
    await page.getByTestId("jump-latest").waitFor({ state: "detached" });
  });

  it("shows the connection dropping and recovers after the server restarts", async () => {
    await until(
      async () => (await page.getByTestId("conn").first().getAttribute("data-conn")) === "open",
      "live",
    );
    await server.stop();
    await until(
      async () => (await page.getByTestId("conn").first().getAttribute("data-conn")) === "reconnecting",
      "reconnecting indicator",
    );
    server = await startCarServe(repo.root, {}, port);
    await until(
      async () => (await page.getByTestId("conn").first().getAttribute("data-conn")) === "open",
      "live again",
      60_000,
    );
    // Lines from before the restart are still shown, and the stream delivers the next run live.
    await until(
      async () => (await page.getByTestId("status-pill").first().getAttribute("data-status")) !== "running",
      "run 1 over",
      60_000,
    );
    await start();
    await until(
      async () => (await page.getByTestId("log-lines").textContent())?.includes("=== run 2 start ==="),
      "run 2 streamed after the restart",
      60_000,
    );
    const text = (await page.getByTestId("log-lines").textContent()) ?? "";
    // Not doubled by the replay after reconnecting.
    expect(text.split("=== run 2 start ===").length).toBe(2);
  });
});
