/// <reference lib="dom" />
// Steering and waits in real Chromium at phone size against the real `car serve`: a message queued
// from the dashboard is a real file in the steer folder and the Delete button removes it; a live
// runner (a held lock) waiting for an answer shows the agent's question with the steer box as the
// answer box; a usage-limit wait counts down; a run's page names the steering it carried.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { finishRunRecord, newRunRecord } from "@codex-autorunner/core";
import { carPaths, writeRunRecord } from "@codex-autorunner/core/node";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectNoPageOverflow,
  launchChromium,
  screenshot,
  until,
  withMobilePage,
} from "../web-helpers/browser.js";
import { makeWebRepo, type WebRepo } from "../web-helpers/repo.js";
import { type CarServer, startCarServe } from "../web-helpers/server.js";

let repo: WebRepo;
let server: CarServer;
let browser: Browser;
let holder: ChildProcess | null = null;

/** A message run 1 carried, as the engine leaves it once the run finished. */
const DELIVERED = "1764886291123-4242-a1b2c3";
const steerDir = () => join(repo.dir, "steer");
const steerFiles = () =>
  existsSync(steerDir())
    ? readdirSync(steerDir())
        .filter((f) => f !== ".gitignore")
        .sort()
    : [];
const pendingTexts = () =>
  steerFiles()
    .filter((f) => f.endsWith(".pending.json"))
    .map((f) => (JSON.parse(readFileSync(join(steerDir(), f), "utf8")) as { text: string }).text);

beforeAll(async () => {
  repo = makeWebRepo();
  mkdirSync(steerDir());
  writeFileSync(
    join(steerDir(), `${DELIVERED}.delivered.1.json`),
    `${JSON.stringify({ version: 1, id: DELIVERED, text: "use pnpm, not npm", created_at: "2026-01-01T11:00:00Z" })}\n`,
  );
  const started = newRunRecord({ id: 1, todoBefore: { outstanding: 3, done: 0 }, backend: "plain" });
  await writeRunRecord(carPaths(repo.root), {
    ...finishRunRecord(started, {
      durationMs: 1200,
      exitCode: 0,
      outcome: "completed",
      todoAfter: { outstanding: 3, done: 0 },
      summary: { files_changed: [] },
    }),
    steering: [DELIVERED],
    needs_input: "Postgres or SQLite?",
    limit_wait_ms: 125_000,
  });
  writeFileSync(join(repo.dir, "state.json"), JSON.stringify({ last_run_id: 1, status: "idle" }));
  server = await startCarServe(repo.root);
  browser = await launchChromium();
});

afterAll(async () => {
  holder?.kill("SIGKILL");
  await browser?.close();
  await server?.stop();
  repo?.cleanup();
});

const noPageOverflow = expectNoPageOverflow;
const withPage = (hash: string, fn: (page: Page) => Promise<void>) =>
  withMobilePage(browser, `${server.url}/#/${hash}`, fn);

/** A live runner as status sees one: the lock held by a living PID, state.json saying what it does. */
function liveRunner(state: Record<string, unknown>): () => void {
  holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  const lock = join(repo.dir, "lock");
  writeFileSync(lock, `${holder.pid}\n`);
  writeFileSync(
    join(repo.dir, "state.json"),
    JSON.stringify({ last_run_id: 1, runner_pid: holder.pid, ...state }),
  );
  return () => {
    holder?.kill("SIGKILL");
    holder = null;
    rmSync(lock, { force: true });
    writeFileSync(join(repo.dir, "state.json"), JSON.stringify({ last_run_id: 1, status: "idle" }));
  };
}

const iso = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString();

describe("steering from the dashboard at 375 px", () => {
  it("sends a message (a pending file on disk), lists it, deletes it; delivered ones name their run", async () => {
    await withPage("dashboard", async (page) => {
      const box = page.getByTestId("steer-box");
      await box.waitFor();
      const delivered = page.getByTestId("steer-delivered");
      await until(async () => (await delivered.textContent())?.includes("→ run 1"), "the delivered message");
      expect(await delivered.textContent()).toContain("use pnpm, not npm");

      await page.getByTestId("steer-text").fill("  also update the changelog  ");
      await box.getByRole("button", { name: "Send" }).click();
      const pending = page.getByTestId("steer-pending");
      await pending.waitFor();
      expect(await pending.locator("li span").allTextContents()).toEqual(["also update the changelog"]);
      expect(pendingTexts()).toEqual(["also update the changelog"]);
      expect(await page.getByTestId("steer-text").inputValue()).toBe("");
      await noPageOverflow(page);
      await screenshot(page, "steer-pending-375");

      await pending.getByRole("button", { name: /^Delete/ }).click();
      await until(async () => (await page.getByTestId("steer-pending").count()) === 0, "the list emptied");
      expect(pendingTexts()).toEqual([]);
      expect(steerFiles()).toEqual([`${DELIVERED}.delivered.1.json`]);
    });
  });

  it("an empty message cannot be sent", async () => {
    await withPage("dashboard", async (page) => {
      await page.getByTestId("steer-text").fill("   \n ");
      expect(await page.getByTestId("steer-box").getByRole("button", { name: "Send" }).isDisabled()).toBe(
        true,
      );
    });
  });
});

describe("waits at 375 px", () => {
  it("waiting for input: the question, a 'needs input' badge and the steer box as the answer box", async () => {
    const done = liveRunner({
      status: "waiting_input",
      waiting: {
        reason: "needs_input",
        since: iso(-60_000),
        until: iso(86_400_000),
        message: "Postgres or SQLite?",
      },
    });
    try {
      await withPage("dashboard", async (page) => {
        const question = page.getByTestId("needs-input");
        await question.waitFor();
        expect(await question.textContent()).toBe("Postgres or SQLite?");
        expect(await page.getByTestId("status-pill").first().getAttribute("data-status")).toBe("needs input");
        // The box is the one steer box, and it comes before the runner's controls.
        expect(await page.getByTestId("steer-box").count()).toBe(1);
        const [askY, controlsY] = await Promise.all([
          question.evaluate((el) => el.getBoundingClientRect().top),
          page.getByRole("button", { name: "Stop" }).evaluate((el) => el.getBoundingClientRect().top),
        ]);
        expect(askY).toBeLessThan(controlsY);
        await page.getByLabel("Your answer").fill("SQLite, keep it simple");
        await page.getByRole("button", { name: "Answer" }).click();
        await until(() => pendingTexts().includes("SQLite, keep it simple"), "the answer queued");
        await page.getByTestId("steer-pending").waitFor();
        await noPageOverflow(page);
        await screenshot(page, "steer-needs-input-375");
      });
    } finally {
      done();
    }
  });

  it("a usage limit counts down live; a quiet run and an undelivered notification are named", async () => {
    const until250s = iso(250_000);
    const done = liveRunner({
      status: "waiting",
      waiting: {
        reason: "rate_limit",
        since: iso(-10_000),
        until: until250s,
        message: "usage limit reached",
      },
      quiet: { run_id: 1, since: iso(-192_000), last_command: "npm test" },
      notify_error: { target: "ntfy", event: "waiting", error: "HTTP 503", at: iso(-5000) },
    });
    try {
      await withPage("dashboard", async (page) => {
        const banner = page.getByTestId("limit-wait");
        await banner.waitFor();
        const hhmm = await page.evaluate((t) => {
          const d = new Date(t);
          return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
        }, until250s);
        const first = (await banner.textContent()) ?? "";
        expect(first).toMatch(new RegExp(`^Usage limit — resumes in 4:[0-9]{2} \\(at ${hhmm}\\)`));
        expect(await page.getByTestId("status-pill").first().getAttribute("data-status")).toBe("waiting");
        await until(async () => (await banner.textContent()) !== first, "the countdown to tick", 10_000);
        expect(await page.getByTestId("quiet").textContent()).toMatch(
          /^quiet for 3m 1\ds · last command: npm test$/,
        );
        expect(await page.getByTestId("notify-error").textContent()).toMatch(
          /^⚠ Notification to ntfy \(waiting\) failed at \d\d:\d\d:\d\d: HTTP 503$/,
        );
        await noPageOverflow(page);
        await screenshot(page, "limit-wait-375");
      });
    } finally {
      done();
    }
  });
});

describe("a run's page", () => {
  it("names the steering it carried, the agent's question and the limit wait", async () => {
    await withPage("runs/1", async (page) => {
      const steering = page.getByTestId("run-steering");
      await steering.waitFor();
      expect(await steering.textContent()).toBe(DELIVERED);
      expect(await page.getByTestId("run-needs-input").textContent()).toBe(
        "The agent asked: Postgres or SQLite?",
      );
      expect(await page.getByTestId("run-limit-wait").textContent()).toBe("2m 05s");
      await noPageOverflow(page);
    });
  });
});
