/// <reference lib="dom" />
// The hub's home in real Chromium against the real built `car hub serve` (cap 1) over a root with
// initialised repos, an uninitialised one, one with a broken config.yml and a listed one whose folder
// is gone: phone and desktop layout, the token taken from the printed URL, a card opening its repo's
// dashboard under /repos/<id>/, a run started there followed live on the hub's card, and a start
// queued behind the cap then cancelled.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HubRepoDir, type HubServe, killLeftRunners, repoUnder, startHubServe } from "../hub/support.js";
import {
  DESKTOP,
  expectNoPageOverflow,
  launchChromium,
  openPage,
  screenshot,
  until,
  withMobilePage,
} from "../web-helpers/browser.js";
import { WEB_INDEX } from "../web-helpers/server.js";

let root: string;
let repos: HubRepoDir[];
let hub: HubServe;
let browser: Browser;
/** The hub's home at 1280×800, kept open the whole suite: it must follow every change live. */
let home: Page;

/** What each card should say once loaded (id → badge). */
const EXPECTED: Record<string, string> = {
  alpha: "idle",
  beta: "idle",
  "services~api": "idle",
  broken: "config error",
  plain: "uninitialised",
  gone: "missing",
};

const card = (page: Page, id: string) => page.locator(`[data-testid=repo-card][data-repo="${id}"]`);
const cardStatus = (page: Page, id: string) => card(page, id).getAttribute("data-status");

async function allCardsLoaded(page: Page): Promise<void> {
  for (const [id, status] of Object.entries(EXPECTED)) {
    await until(async () => (await cardStatus(page, id)) === status, `${id}'s card saying ${status}`, 30_000);
  }
}

beforeAll(async () => {
  const hubPage = join(dirname(WEB_INDEX), "hub.html");
  if (!existsSync(hubPage))
    throw new Error(`${hubPage} is missing: run \`pnpm --filter @codex-autorunner/web build\` first`);
  root = realpathSync(mkdtempSync(join(tmpdir(), "car-hub-web-")));
  repos = [
    repoUnder(root, "alpha", { todo: ["alpha one", "alpha two"] }),
    repoUnder(root, "beta", { todo: ["beta one"] }),
    repoUnder(root, "services/api", { todo: ["api one", "api two", "api three"] }),
    // Discovered (git + config.yml) but config.yml does not validate.
    repoUnder(root, "broken", { config: { runner: { sleep_seconds: "soon" } } }),
  ];
  // A git repo without .codex-autorunner/, and a folder that does not exist: listed because hub.yml
  // names them.
  mkdirSync(join(root, "plain"));
  execFileSync("git", ["init", "-q"], { cwd: join(root, "plain") });
  writeFileSync(join(root, "hub.yml"), "repos:\n  - plain\n  - gone\n");
  // Every agent (the testkit's stand-in) sleeps a few seconds per run, so "running" can be watched.
  hub = await startHubServe(root, ["--max-concurrent-runs", "1"], {
    STAND_IN_MODE: "sleep",
    STAND_IN_SLEEP_MS: "10000",
  });
  browser = await launchChromium();
  home = await openPage(browser, `${hub.url}/?token=${hub.token}`, DESKTOP);
});

afterAll(async () => {
  await browser?.close();
  // The hub first: killing a runner frees its slot, and a live hub would launch a queued start into it.
  await hub?.stop();
  if (repos) await killLeftRunners(repos);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("hub home", () => {
  it("at 1280×800: every repo as a card with its status, the token taken from the URL", async () => {
    await allCardsLoaded(home);
    expect(await home.getByTestId("repo-card").count()).toBe(Object.keys(EXPECTED).length);
    await until(async () => (await home.getByTestId("conn").getAttribute("data-conn")) === "open", "live");
    // The token left the address bar and was kept once the hub accepted it.
    expect(home.url()).not.toContain("token=");
    expect(await home.evaluate(() => localStorage.getItem("car.token"))).toBe(hub.token);
    expect(await home.getByTestId("hub-runs").textContent()).toBe("none running · cap 1");

    // The broken repo says why; the uninitialised and the missing one too; none can be started.
    const broken = card(home, "broken");
    expect(await broken.getByTestId("repo-detail").textContent()).toContain("sleep_seconds");
    expect(await broken.getByRole("button", { name: "Start broken" }).isDisabled()).toBe(true);
    expect(await card(home, "plain").getByTestId("repo-detail").textContent()).toMatch(
      /config\.yml|car init/,
    );
    expect(await card(home, "plain").getByRole("button", { name: "Start plain" }).isDisabled()).toBe(true);
    expect(await card(home, "gone").getByTestId("repo-detail").textContent()).toContain(join(root, "gone"));
    expect(await card(home, "gone").getByRole("button", { name: "Start gone" }).isDisabled()).toBe(true);
    // Progress and last run of an untouched repo.
    expect(await card(home, "services~api").getByTestId("repo-progress").textContent()).toBe("0/3");
    expect(await card(home, "alpha").getByTestId("repo-last-run").textContent()).toBe("no runs yet");

    // Cards sit side by side on a desktop, and nothing sticks out.
    const cards = home.getByTestId("repo-card");
    const [a, b] = await Promise.all([cards.nth(0).boundingBox(), cards.nth(1).boundingBox()]);
    expect(a && b && Math.abs(a.y - b.y) < 1 && b.x > a.x).toBe(true);
    await expectNoPageOverflow(home);
    await screenshot(home, "hub-home-1280");
  });

  it("at 375×812: one column, no sideways scrolling, every card visible with its status", async () => {
    await withMobilePage(browser, `${hub.url}/?token=${hub.token}`, async (page) => {
      await allCardsLoaded(page);
      await expectNoPageOverflow(page);
      for (const [id, status] of Object.entries(EXPECTED)) {
        const c = card(page, id);
        await c.scrollIntoViewIfNeeded();
        expect(await c.isVisible()).toBe(true);
        const badge = c.getByTestId("status-pill");
        expect([await badge.isVisible(), await badge.getAttribute("data-status")]).toEqual([true, status]);
        const box = await c.boundingBox();
        expect(box && box.x >= 0 && box.x + box.width <= 375).toBe(true);
      }
      await screenshot(page, "hub-home-375");
    });
  });

  it("a repo's own UI under the hub fits a phone and links back to all repos", async () => {
    await withMobilePage(browser, `${hub.url}/repos/services~api/?token=${hub.token}`, async (page) => {
      const pill = page.getByTestId("status-pill").last();
      await until(async () => (await pill.getAttribute("data-status")) === "idle", "api's dashboard idle");
      await expect.poll(() => page.getByTestId("todo-count").textContent()).toMatch(/^0 of 3 done/);
      const back = page.getByTestId("hub-home");
      expect([await back.isVisible(), await back.getAttribute("href")]).toEqual([true, `${hub.url}/`]);
      await expectNoPageOverflow(page);
      await screenshot(page, "hub-repo-dashboard-375");
    });
  });

  it("a card opens its repo's dashboard under /repos/<id>/, where a run starts; the hub card follows live", async () => {
    const page = await home.context().newPage();
    try {
      await page.goto(`${hub.url}/`);
      await card(page, "alpha").getByRole("link", { name: "alpha" }).click();
      await until(() => page.url() === `${hub.url}/repos/alpha/`, "the repo's page under /repos/alpha/");
      // The repo's own UI, authorised by the token the hub page stored.
      const pill = page.getByTestId("status-pill").last();
      await until(async () => (await pill.getAttribute("data-status")) === "idle", "alpha's dashboard idle");
      await expect.poll(() => page.getByTestId("todo-count").textContent()).toMatch(/^0 of 2 done/);
      expect(await page.getByTestId("hub-home").isVisible()).toBe(true);

      await page.getByRole("button", { name: "Run once", exact: true }).click();
      await until(
        async () => (await pill.getAttribute("data-status")) === "running",
        "alpha running",
        30_000,
      );
      // The hub's home (never reloaded) shows it running...
      await until(
        async () => (await cardStatus(home, "alpha")) === "running",
        "alpha's card running",
        10_000,
      );
      expect(await home.getByTestId("hub-runs").textContent()).toBe("1 running · cap 1");

      // ...and a start of another repo waits behind the cap of 1, then is cancelled from its card.
      await card(home, "beta").getByRole("button", { name: "Start beta" }).click();
      await until(async () => (await cardStatus(home, "beta")) === "queued", "beta's card queued", 10_000);
      expect(await card(home, "beta").getByTestId("repo-detail").textContent()).toMatch(/^#1 in queue since/);
      await screenshot(home, "hub-home-running-queued-1280");
      await card(home, "beta").getByRole("button", { name: "Cancel beta" }).click();
      await until(
        async () => (await cardStatus(home, "beta")) === "idle",
        "beta's queued start cancelled",
        10_000,
      );
      expect(await cardStatus(home, "alpha")).toBe("running");

      // The same from beta's own dashboard: Run once is queued, its pill says so, Stop cancels it.
      await page.goto(`${hub.url}/repos/beta/`);
      await until(async () => (await pill.getAttribute("data-status")) === "idle", "beta's dashboard idle");
      await page.getByRole("button", { name: "Run once", exact: true }).click();
      await until(
        async () => (await pill.getAttribute("data-status")) === "queued",
        "beta's pill queued",
        10_000,
      );
      expect(await page.getByTestId("action-message").textContent()).toMatch(
        /^Queued: #1 in the hub's queue/,
      );
      expect(await page.getByTestId("queued").isVisible()).toBe(true);
      expect(await page.getByRole("button", { name: "Start", exact: true }).isDisabled()).toBe(true);
      await until(
        async () => (await cardStatus(home, "beta")) === "queued",
        "beta's card queued again",
        10_000,
      );
      await page.getByRole("button", { name: "Stop", exact: true }).click();
      await until(
        async () => (await page.getByTestId("action-message").textContent()) === "Queued start cancelled.",
        "the dashboard's cancel message",
        10_000,
      );
      await until(
        async () => (await pill.getAttribute("data-status")) === "idle",
        "beta's pill idle",
        10_000,
      );
      await until(async () => (await cardStatus(home, "beta")) === "idle", "beta's card idle again", 10_000);
      expect(await cardStatus(home, "alpha")).toBe("running");

      // The run ends: idle again, one item ticked, the run on the card.
      await until(
        async () => (await cardStatus(home, "alpha")) === "idle",
        "alpha's card idle again",
        60_000,
      );
      await until(
        async () => (await card(home, "alpha").getByTestId("repo-progress").textContent()) === "1/2",
        "alpha's progress 1/2",
        10_000,
      );
      expect(await card(home, "alpha").getByTestId("repo-last-run").textContent()).toMatch(/^#1 · exit 0 · /);
      // beta never ran: its queued start was cancelled, not launched when the slot freed up.
      expect(await cardStatus(home, "beta")).toBe("idle");
      expect(await card(home, "beta").getByTestId("repo-last-run").textContent()).toBe("no runs yet");

      // And back to all repos from a repo's page.
      await page.getByTestId("hub-home").click();
      await until(() => page.url() === `${hub.url}/`, "back on the hub's home");
      await until(async () => (await cardStatus(page, "alpha")) === "idle", "alpha idle on the hub's home");
    } finally {
      await page.close();
    }
  });
});
