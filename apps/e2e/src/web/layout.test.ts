/// <reference lib="dom" />
// Every view at phone (375×812) and desktop (1280×800) size, light and dark: screenshots saved under
// apps/e2e/artifacts/web/, and nothing wider than the phone's screen.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DESKTOP,
  documentWidths,
  launchChromium,
  MOBILE,
  openPage,
  overflowingElements,
  screenshot,
  until,
} from "../web-helpers/browser.js";
import { makeWebRepo, type WebRepo } from "../web-helpers/repo.js";
import { type CarServer, startCarServe } from "../web-helpers/server.js";

let repo: WebRepo;
let server: CarServer;
let browser: Browser;

const VIEWS = ["dashboard", "docs/todo", "logs", "runs", "runs/1", "chat"] as const;

beforeAll(async () => {
  repo = makeWebRepo({
    items: [
      "first task",
      "a rather long task description that goes on and on to check that long items wrap nicely on a phone",
      "third task",
    ],
    lines: 4,
    lineDelayMs: 50,
  });
  server = await startCarServe(repo.root);
  // One finished run, so the logs and runs views have content to lay out.
  const res = await fetch(`${server.url}/api/run/start`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: '{"once":true}',
  });
  expect(res.status).toBe(202);
  await until(async () => {
    const s = (await (await fetch(`${server.url}/api/runs`)).json()) as {
      runs: Array<{ finished_at: string | null }>;
    };
    const st = (await (await fetch(`${server.url}/api/state`)).json()) as { running: boolean };
    return s.runs.length === 1 && s.runs[0]!.finished_at !== null && !st.running;
  }, "the first run to finish");
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  repo?.cleanup();
});

async function settle(page: Page, view: string): Promise<void> {
  await until(
    async () => (await page.getByTestId("status-pill").first().getAttribute("data-status")) !== "unknown",
    "state",
  );
  if (view === "logs") await page.getByTestId("log-lines").waitFor();
  if (view === "runs") await page.locator("[data-testid=runs-table] tbody tr").first().waitFor();
  if (view === "runs/1") {
    // The run's facts, then its changes or why it has none (a run without checkpoints).
    await page.getByTestId("run-verify").waitFor();
    await until(async () => !(await page.locator(".view").textContent())?.includes("Loading…"), "the diff");
  }
  if (view === "docs/todo") await page.getByTestId("checklist").waitFor();
}

describe.each([
  ["375", MOBILE, "light"],
  ["375", MOBILE, "dark"],
  ["1280", DESKTOP, "light"],
  ["1280", DESKTOP, "dark"],
] as const)("at %s px (%s)", (name, size, scheme) => {
  it.each(VIEWS)("%s fits the screen", async (view) => {
    const page = await openPage(browser, `${server.url}/#/${view}`, size, scheme);
    try {
      await settle(page, view);
      await screenshot(page, `${view.replace("/", "-")}-${name}-${scheme}`);
      const [scrollWidth, clientWidth] = await documentWidths(page);
      if (scrollWidth > clientWidth) console.error("overflowing:", await overflowingElements(page));
      expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
      // Every form control has an accessible name.
      const unlabeled = await page.evaluate(() =>
        Array.from(document.querySelectorAll("input, select, textarea, button"))
          .filter((el) => {
            const e = el as HTMLInputElement;
            if (e.type === "hidden") return false;
            const labelled = e.labels && e.labels.length > 0;
            return !labelled && !e.getAttribute("aria-label") && !(e.textContent ?? "").trim();
          })
          .map((el) => el.outerHTML.slice(0, 80)),
      );
      expect(unlabeled).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});

describe("keyboard", () => {
  it("reaches the views by Tab with a visible focus ring", async () => {
    const page = await openPage(browser, `${server.url}/#/dashboard`, MOBILE);
    try {
      await settle(page, "dashboard");
      let found = false;
      for (let i = 0; i < 15 && !found; i++) {
        await page.keyboard.press("Tab");
        found = await page.evaluate(() => document.activeElement?.textContent === "Logs");
      }
      expect(found).toBe(true);
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(outline).toBe("solid");
      await page.keyboard.press("Enter");
      await until(() => page.url().endsWith("#/logs"), "logs view by keyboard");
    } finally {
      await page.context().close();
    }
  });
});
