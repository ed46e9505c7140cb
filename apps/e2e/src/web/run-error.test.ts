// A failing run in real Chromium: the dashboard turns to error and says why, with a link to the log.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, MOBILE, openPage, screenshot, until } from "../web-helpers/browser.js";
import { makeWebRepo, type WebRepo } from "../web-helpers/repo.js";
import { type CarServer, killRunner, startCarServe } from "../web-helpers/server.js";

let repo: WebRepo;
let server: CarServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  repo = makeWebRepo({ items: ["doomed task"], lines: 2, lineDelayMs: 100, exitCode: 3 });
  server = await startCarServe(repo.root);
  browser = await launchChromium();
  page = await openPage(browser, `${server.url}/#/dashboard`, MOBILE);
});

afterAll(async () => {
  if (server) await killRunner(server.url);
  await browser?.close();
  await server?.stop();
  repo?.cleanup();
});

describe("failed run", () => {
  it("shows the error status, the exit code and a banner linking to the run's log", async () => {
    await until(
      async () => (await page.getByTestId("status-pill").last().getAttribute("data-status")) === "idle",
      "idle",
    );
    await page.getByRole("button", { name: "Start", exact: true }).click();
    const banner = page.getByTestId("run-error");
    await banner.waitFor({ timeout: 60_000 });
    await until(
      async () => (await page.getByTestId("status-pill").last().getAttribute("data-status")) === "error",
      "error pill",
    );
    expect(await page.getByTestId("exit-code").textContent()).toBe("3");
    expect(await banner.textContent()).toMatch(/Last run failed/);
    await screenshot(page, "dashboard-error-375");
    await banner.getByRole("link", { name: "Open its log" }).click();
    await until(() => page.url().includes("#/logs?run="), "the failed run's log");
    await until(async () => (await page.locator(".ll-end-fail").count()) > 0, "a failed end marker");
    expect(await page.locator(".ll-end-fail").first().textContent()).toMatch(/end \(code 3\)/);
  });
});
