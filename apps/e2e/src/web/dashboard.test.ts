// Dashboard and live logs in real Chromium against a real `car serve` and a real runner.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, openPage, screenshot, until } from "../web-helpers/browser.js";
import { makeWebRepo, type WebRepo } from "../web-helpers/repo.js";
import { type CarServer, killRunner, startCarServe } from "../web-helpers/server.js";

let repo: WebRepo;
let server: CarServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  repo = makeWebRepo({ items: ["first task", "second task"], lines: 12, lineDelayMs: 500 });
  server = await startCarServe(repo.root);
  browser = await launchChromium();
  page = await openPage(browser, `${server.url}/#/dashboard`);
});

afterAll(async () => {
  if (server) await killRunner(server.url);
  await browser?.close();
  await server?.stop();
  repo?.cleanup();
});

const pill = () => page.getByTestId("status-pill").last();

describe("dashboard", () => {
  it("loads with the idle state, the TODO progress and a live connection", async () => {
    await until(async () => (await pill().getAttribute("data-status")) === "idle", "status idle");
    await expect
      .poll(() => page.getByTestId("todo-count").textContent(), { timeout: 20_000 })
      .toMatch(/^0 of 2 done/);
    await until(
      async () => (await page.getByTestId("conn").first().getAttribute("data-conn")) === "open",
      "live SSE",
    );
    // Run controls are labelled buttons; Stop and Kill make no sense while idle.
    expect(await page.getByRole("button", { name: "Start", exact: true }).isEnabled()).toBe(true);
    expect(await page.getByRole("button", { name: "Kill", exact: true }).isDisabled()).toBe(true);
  });

  it("starts a run: the pill turns running and agent lines stream in live", async () => {
    await page.getByRole("button", { name: "Run once", exact: true }).click();
    await until(
      async () => (await pill().getAttribute("data-status")) === "running",
      "status running",
      30_000,
    );
    expect(await page.getByTestId("runner-pid").textContent()).toMatch(/\d+\s*alive/);
    // Lines printed by the agent while it is still running arrive over SSE (not on reload).
    await until(
      async () =>
        (await page.getByTestId("latest-lines").textContent())?.includes("stand-in: working step 2"),
      "a live log line",
      30_000,
    );
    expect(await pill().getAttribute("data-status")).toBe("running");
    // stderr lines get their own class.
    await until(async () => (await page.locator(".ll-stderr").count()) > 0, "a stderr line", 30_000);
    await screenshot(page, "dashboard-running-1280");
  });

  it("returns to idle when the run ends, with the exit code, the tick and the end marker", async () => {
    await until(
      async () => (await pill().getAttribute("data-status")) === "idle",
      "status idle after the run",
      60_000,
    );
    await expect.poll(() => page.getByTestId("exit-code").textContent(), { timeout: 20_000 }).toBe("0");
    await expect.poll(() => page.getByTestId("run-number").textContent(), { timeout: 20_000 }).toBe("#1");
    await expect
      .poll(() => page.getByTestId("todo-count").textContent(), { timeout: 20_000 })
      .toMatch(/^1 of 2 done/);
    await until(async () => (await page.locator(".ll-end-ok").count()) > 0, "the end marker", 10_000);
    expect(readFileSync(repo.todoPath, "utf8")).toContain("- [x] first task");
  });

  it("the Logs view shows the run, filters lines, and the Runs table opens a run, then its log", async () => {
    await page.goto(`${server.url}/#/logs`);
    await until(
      async () => (await page.getByTestId("log-lines").textContent())?.includes("=== run 1 start ==="),
      "run 1 in the tail",
    );
    await page.getByLabel("Filter", { exact: true }).fill("warning");
    await until(async () => {
      const texts = await page.locator("[data-testid=log-lines] .ll-text").allTextContents();
      return texts.length > 0 && texts.every((t) => t.includes("warning"));
    }, "filtered lines");
    await page.getByLabel("Filter", { exact: true }).fill("");

    await page.goto(`${server.url}/#/runs`);
    const row = page.locator("[data-testid=runs-table] tbody tr").first();
    await until(async () => (await row.textContent())?.includes("#1"), "run 1 in the table");
    expect(await row.textContent()).toMatch(/completed/);
    expect(await row.textContent()).toContain("+1");
    await row.click();
    await until(() => page.url().endsWith("#/runs/1"), "navigation to the run's page");
    await page.getByRole("link", { name: "Open its log" }).click();
    await until(() => page.url().endsWith("#/logs?run=1"), "navigation to the run's log");
    await until(
      async () => (await page.getByTestId("log-lines").textContent())?.includes("run 1 end (code 0)"),
      "run 1's log",
    );
    expect(await page.getByLabel("Run", { exact: true }).inputValue()).toBe("1");
  });

  it("Kill asks for confirmation before ending a run", async () => {
    await page.goto(`${server.url}/#/dashboard`);
    await page.getByRole("button", { name: "Run once", exact: true }).click();
    await until(
      async () => (await pill().getAttribute("data-status")) === "running",
      "running again",
      30_000,
    );
    await page.getByRole("button", { name: "Kill", exact: true }).click();
    const confirm = page.getByTestId("kill-confirm");
    await confirm.waitFor();
    // Nothing is killed until the user confirms.
    expect(await pill().getAttribute("data-status")).toBe("running");
    await page.getByRole("button", { name: "Kill now" }).click();
    await until(
      async () => (await pill().getAttribute("data-status")) !== "running",
      "not running after kill",
      30_000,
    );
    await until(
      async () => (await page.getByTestId("action-message").textContent())?.includes("killed"),
      "kill message",
    );
    const state = JSON.parse(readFileSync(join(repo.dir, "state.json"), "utf8")) as { status: string };
    expect(state.status).not.toBe("running");
  });
});
