/// <reference lib="dom" />
// A run's page in real Chromium at phone size against the real `car serve`: its diff (files, counts,
// patch), and "Roll back to before this run" with the server's dry run as the confirmation, then the
// real rollback, checked on disk. Checkpoints are core's, taken around real edits of a temp git repo.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
import { checkpointedRun, verifyResult } from "../web-helpers/runs.js";
import { type CarServer, startCarServe } from "../web-helpers/server.js";

let repo: WebRepo;
let server: CarServer;
let browser: Browser;
let holder: ChildProcess | null = null;

const WATCHED = ["src/app.js", "old.txt", "src/new-module.js", "docs/guide.md", "NOTES.md"];
const read = (p: string) =>
  existsSync(join(repo.root, p)) ? readFileSync(join(repo.root, p), "utf8") : null;
const onDisk = () => Object.fromEntries(WATCHED.map((p) => [p, read(p)]));
const write = (p: string, text: string) => {
  mkdirSync(join(repo.root, p, ".."), { recursive: true });
  writeFileSync(join(repo.root, p), text);
};
let beforeRun1: Record<string, string | null>;
let afterRun2: Record<string, string | null>;
/** state.json after run 2, whose verification failed for the second time in a row. */
const IDLE = {
  last_run_id: 2,
  status: "idle",
  last_verify: {
    run_id: 2,
    passed: false,
    failed_command: "test",
    consecutive_failures: 2,
    at: "2026-01-01T12:00:00Z",
  },
};
const LONG = `export const banner = "${"a very long line that must scroll inside the patch box ".repeat(6)}";\n`;

beforeAll(async () => {
  repo = makeWebRepo();
  write("src/app.js", "export function main() {\n  return 1;\n}\n");
  write("old.txt", "an old file run 1 deletes\n");
  execFileSync("git", ["add", "-A"], { cwd: repo.root });
  execFileSync(
    "git",
    ["-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", "commit", "-qm", "src"],
    {
      cwd: repo.root,
    },
  );
  write("NOTES.md", "the user's own uncommitted notes, written before run 1\n");
  beforeRun1 = onDisk();
  await checkpointedRun(
    repo.root,
    1,
    () => {
      write("src/app.js", "export function main() {\n  return 2;\n}\n");
      rmSync(join(repo.root, "old.txt"));
      write("src/new-module.js", LONG);
    },
    verifyResult(null),
  );
  await checkpointedRun(
    repo.root,
    2,
    () => {
      write("src/app.js", "export function main() {\n  return 3;\n}\n");
      write("docs/guide.md", "# Guide\n");
    },
    verifyResult("test"),
  );
  afterRun2 = onDisk();
  writeFileSync(join(repo.dir, "state.json"), JSON.stringify(IDLE));
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

const rollbackButton = (page: Page) => page.getByRole("button", { name: "Roll back to before this run" });

describe("a run's changes and rollback at 375 px", () => {
  it("the dashboard shows the last verification verdict, linking to its run", async () => {
    await withPage("dashboard", async (page) => {
      const verdict = page.getByTestId("last-verify");
      await until(async () => (await verdict.textContent()) === "failed test #2 (2 in a row)", "the verdict");
      await verdict.getByRole("link").click();
      await until(() => page.url().endsWith("#/runs/2"), "run 2's page");
      expect(await page.getByTestId("run-verify").textContent()).toBe("failed test");
    });
  });

  it("the runs list shows each run's verification verdict and its changed files and lines", async () => {
    await withPage("runs", async (page) => {
      const rows = page.locator("[data-testid=runs-table] tbody tr");
      await until(async () => (await rows.count()) === 2, "two runs in the list");
      // Newest first.
      expect(await rows.nth(0).getByTestId("run-verify").textContent()).toBe("failed test");
      expect(await rows.nth(0).getByTestId("run-changes").textContent()).toBe("+2 −1, 2 files");
      expect(await rows.nth(1).getByTestId("run-verify").textContent()).toBe("passed");
      expect(await rows.nth(1).getByTestId("run-changes").textContent()).toBe("+2 −2, 3 files");
      await noPageOverflow(page);
      await rows.nth(1).click();
      await until(() => page.url().endsWith("#/runs/1"), "the run's page");
      await page.getByTestId("diff-files").waitFor();
    });
  });

  it("the run's page shows its files and patch, the long line scrolling inside the patch box", async () => {
    await withPage("runs/1", async (page) => {
      const files = page.locator("[data-testid=diff-files] li");
      await until(async () => (await files.count()) === 3, "three changed files");
      const texts = await files.allTextContents();
      expect(texts.join("\n")).toContain("src/app.js");
      expect(texts.find((t) => t.includes("old.txt"))).toMatch(/^Dold\.txt\+0 −1$/);
      expect(texts.find((t) => t.includes("src/new-module.js"))).toMatch(/^Asrc\/new-module\.js\+1 −0$/);
      const patch = page.getByTestId("diff-patch");
      const patchText = (await patch.textContent()) ?? "";
      expect(patchText).toContain("diff --git a/src/app.js b/src/app.js");
      expect(patchText).toContain("-  return 1;");
      expect(patchText).toContain("+  return 2;");
      expect(await page.locator("[data-testid=diff-patch] .pl-add").count()).toBeGreaterThan(1);
      // The long line is inside the box, which scrolls sideways; the page does not.
      const [inner, outer] = await patch.evaluate((el) => [el.scrollWidth, el.clientWidth]);
      expect(inner).toBeGreaterThan(outer);
      await noPageOverflow(page);
      expect(await page.getByTestId("run-verify").textContent()).toBe("passed");
      await screenshot(page, "run-diff-375");
    });
  });

  it("while a runner is alive the button is disabled and says why", async () => {
    holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const lock = join(repo.dir, "lock");
    writeFileSync(lock, `${holder.pid}\n`); // the original's bare-PID lock: held while the PID lives
    try {
      await withPage("runs/1", async (page) => {
        await page.getByTestId("rollback-running").waitFor();
        expect(await rollbackButton(page).isDisabled()).toBe(true);
      });
    } finally {
      holder.kill("SIGKILL");
      holder = null;
      unlinkSync(lock);
    }
    expect(onDisk()).toEqual(afterRun2);
  });

  it("a refusal (the last run's agent still alive) is shown as the server's reason, nothing changes", async () => {
    // A dead runner's agent that outlived it: its own process group, named in state.json.
    holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
      stdio: "ignore",
      detached: true,
    });
    const state = join(repo.dir, "state.json");
    writeFileSync(state, JSON.stringify({ ...IDLE, agent_pid: holder.pid }));
    try {
      await withPage("runs/1", async (page) => {
        await rollbackButton(page).click();
        const error = page.getByTestId("rollback-error");
        await error.waitFor();
        expect(await error.textContent()).toContain(
          `Refused: Cannot roll back while the last run's agent is alive (PID ${holder!.pid})`,
        );
        expect(await page.getByTestId("rollback-confirm").count()).toBe(0);
        await noPageOverflow(page);
      });
    } finally {
      holder.kill("SIGKILL");
      holder = null;
      writeFileSync(state, JSON.stringify(IDLE));
    }
    expect(onDisk()).toEqual(afterRun2);
  });

  it("rolls back after a confirmation listing the files, then shows the undo command", async () => {
    await withPage("runs/1", async (page) => {
      await rollbackButton(page).click();
      const confirm = page.getByTestId("rollback-confirm");
      await confirm.waitFor();
      expect(await confirm.textContent()).toContain("This undoes #1, #2.");
      expect(await page.locator("[data-testid=rollback-restore] li").allTextContents()).toEqual([
        "old.txt (deleted since)",
        "src/app.js (modified since)",
      ]);
      expect(await page.locator("[data-testid=rollback-remove] li").allTextContents()).toEqual([
        "docs/guide.md",
        "src/new-module.js",
      ]);
      // Asking changed nothing.
      expect(onDisk()).toEqual(afterRun2);
      await noPageOverflow(page);
      await screenshot(page, "run-rollback-confirm-375");

      await page.getByRole("button", { name: "Roll back now" }).click();
      const undo = page.getByTestId("undo-command");
      await undo.waitFor();
      expect(await undo.textContent()).toMatch(/^car rollback --undo \S+/);
      expect(onDisk()).toEqual(beforeRun1);
      expect(read("NOTES.md")).toContain("the user's own uncommitted notes");
      // The record now says the run was undone (the page reloaded it).
      await page.getByTestId("run-rolled-back").waitFor();
      await noPageOverflow(page);
      await screenshot(page, "run-rolled-back-375");
    });
  });
});
