/// <reference lib="dom" />
/**
 * Issue 15 in the browser: runner.agent codex with runner.fallback_agent claude, both real CLIs against
 * scripted model servers. Codex's server answers a rate limit, so the run started from the dashboard
 * goes on with claude; the dashboard, the runs list and the run page say so (agent, fallback, codex's
 * limit and its message, tokens and cost), at 375 px without sideways scrolling.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { formatUsd, type RunRecord, type StateBody } from "@codex-autorunner/core";
import {
  type CodexHome,
  claudeEnvFor,
  codexArgsFor,
  codexBinaryPath,
  codexEnvFor,
  type ModelRequest,
  type ModelServer,
  makeCodexHome,
  rateLimitedFor,
  startModelServer,
} from "@codex-autorunner/testkit";
import type { Browser, Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { type ClaudeRepo, claudeTickingModel, makeClaudeRepo } from "../claude/setup.js";
import {
  expectNoPageOverflow,
  launchChromium,
  openPage,
  screenshot,
  until,
  withMobilePage,
} from "../web-helpers/browser.js";
import { type CarServer, killRunner, startCarServe } from "../web-helpers/server.js";

/** Codex's limit: long enough to still be in force after the run, so the next run goes to claude too. */
const LIMIT_S = 3600;

let codexSrv: ModelServer | null = null;
let claudeSrv: ModelServer | null = null;
let codexHome: CodexHome | null = null;
let repo: ClaudeRepo | null = null;
let server: CarServer | null = null;
let browser: Browser | null = null;
let release = () => {};

afterEach(async () => {
  release(); // a held claude request must not keep its server from closing
  if (server) await killRunner(server.url);
  await browser?.close();
  await server?.stop();
  await codexSrv?.close();
  await claudeSrv?.close();
  repo?.cleanup();
  codexHome?.cleanup();
  [codexSrv, claudeSrv, codexHome, repo, server, browser] = [null, null, null, null, null, null];
});

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(`${server!.url}${path}`);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
  return (await res.json()) as T;
}

/** What the dashboard's limit row should say: the reset's HH:MM in the browser's time zone. */
function limitText(page: Page, until: string): Promise<string> {
  return page.evaluate((iso) => {
    const d = new Date(iso);
    const hhmm = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
    return `codex: usage limit until ${hhmm}`;
  }, until);
}

/** "<prefix>12.3k tokens · $0.0123" with the run's exact cost (the token count as the UI rounds it). */
function spendRe(prefix: string, cost: number): RegExp {
  const usd = formatUsd(cost).replace(/[$.]/g, "\\$&");
  return new RegExp(`^${prefix}[\\d.]+[kM]? tokens · ${usd}$`);
}

/** The Agent fact's label ("Agent" for the run in flight, "Next agent" otherwise). */
function agentLabel(page: Page): Promise<string | null> {
  return page
    .locator(".facts > div", { has: page.getByTestId("agent") })
    .locator("dt")
    .textContent();
}

/** The limit row and, under it, codex's message on one visible line (clipped, the whole of it in the title). */
async function expectLimitShown(page: Page, limit: { until: string; message: string }): Promise<void> {
  await until(async () => (await page.getByTestId("agent-limit").count()) === 1, "codex's limit row");
  expect(await page.getByTestId("agent-limit").textContent()).toBe(await limitText(page, limit.until));
  const msg = page.getByTestId("agent-limit-message");
  expect(await msg.isVisible()).toBe(true);
  expect(await msg.textContent()).toBe(limit.message);
  expect(await msg.getAttribute("title")).toBe(limit.message);
  const box = await msg.evaluate((el) => {
    const cs = getComputedStyle(el);
    return { height: el.getBoundingClientRect().height, lineHeight: Number.parseFloat(cs.lineHeight) };
  });
  expect(box.height).toBeLessThan(box.lineHeight * 1.5);
}

describe("web UI: a run that falls back from codex to claude", () => {
  it("the dashboard, runs list and run page name claude, the fallback, codex's limit and the cost", async () => {
    codexSrv = await startModelServer({ script: () => rateLimitedFor(LIMIT_S) });
    // Claude's first answer waits for the test, so the dashboard can be read while run 1 is claude's.
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let first = true;
    claudeSrv = await startModelServer({
      script: async (req: ModelRequest) => {
        if (first) {
          first = false;
          await held;
        }
        return claudeTickingModel(req);
      },
    });
    repo = makeClaudeRepo(claudeSrv, {
      todo: ["first task", "second task"],
      runner: { agent: "codex", fallback_agent: "claude", max_retries: 0 },
      extraConfig: { codex: { binary: codexBinaryPath(), args: codexArgsFor(codexSrv) } },
    });
    codexHome = makeCodexHome();
    // One environment for both CLIs: codex's CODEX_HOME, claude's HOME (both throwaway dirs).
    const env = { ...claudeEnvFor(claudeSrv, repo.home, codexEnvFor(codexHome)), CAR_AUTH_TOKEN: undefined };
    server = await startCarServe(repo.root, env, 0, "no-auth");
    browser = await launchChromium();
    const page = await openPage(browser, `${server.url}/#/dashboard`);
    await until(
      async () => (await page.getByTestId("status-pill").last().getAttribute("data-status")) === "idle",
      "the dashboard idle",
    );
    // Before any limit: codex runs next, no fallback tag.
    expect(await agentLabel(page)).toBe("Next agent");
    expect((await page.getByTestId("agent").textContent())?.trim()).toBe("codex");

    await page.getByRole("button", { name: "Run once", exact: true }).click();
    await until(() => claudeSrv!.requests.length > 0, "claude's first request", 60_000);

    // While claude runs run 1: codex's limit is in state, the dashboard shows claude as the fallback.
    const during = await getJson<StateBody>("/api/state");
    expect(during.running).toBe(true);
    expect(during.last_run).toMatchObject({ id: 1, agent: "claude", fallback_from: "codex" });
    const limit = during.agents.limits[0]!;
    expect(during.agents.limits.map((l) => l.agent)).toEqual(["codex"]);
    expect(limit.message).toMatch(/rate limit/i);
    await until(async () => (await agentLabel(page)) === "Agent", "the run in flight's agent");
    expect(await page.getByTestId("agent").textContent()).toMatch(/^claude fallback/);
    expect(await page.locator("[data-testid=agent] .tag").textContent()).toBe("fallback");
    await expectLimitShown(page, limit);
    await screenshot(page, "agents-fallback-running-1280");
    await withMobilePage(browser, `${server.url}/#/dashboard`, async (m) => {
      await until(async () => (await agentLabel(m)) === "Agent", "the mobile dashboard's agent");
      await expectLimitShown(m, limit);
      // The message is longer than a phone's column: cut with an ellipsis, not wrapped or sticking out.
      const clipped = await m
        .getByTestId("agent-limit-message")
        .evaluate(
          (el) => el.scrollWidth > el.clientWidth && getComputedStyle(el).textOverflow === "ellipsis",
        );
      expect(clipped).toBe(true);
      await screenshot(m, "agents-fallback-running-375");
      await expectNoPageOverflow(m);
    });

    release();
    await until(
      async () => (await page.getByTestId("status-pill").last().getAttribute("data-status")) === "idle",
      "idle after the run",
      60_000,
    );
    const { runs } = await getJson<{ runs: RunRecord[] }>("/api/runs");
    expect(runs.map((r) => [r.id, r.agent, r.fallback_from, r.outcome])).toEqual([
      [1, "claude", "codex", "completed"],
    ]);
    const cost = runs[0]?.cost_usd ?? 0;
    expect(cost).toBeGreaterThan(0);
    expect(readFileSync(join(repo.dir, "TODO.md"), "utf8")).toContain("- [x] first task");

    // After: codex still sits out its limit, so the next run goes to claude, still the fallback.
    await until(async () => (await agentLabel(page)) === "Next agent", "the next run's agent");
    expect(await page.getByTestId("agent").textContent()).toMatch(/^claude fallback/);
    await expectLimitShown(page, limit);
    await until(
      async () => (await page.getByTestId("usage").textContent())?.includes(formatUsd(cost)),
      "the run's cost in the Usage fact",
    );
    // One run so far: the last run's spend is the total.
    const [lastSpend, totalSpend] = await page.getByTestId("usage").locator("div").allTextContents();
    expect(lastSpend).toMatch(spendRe("last run: ", cost));
    expect(totalSpend).toBe(lastSpend?.replace("last run: ", "total: "));
    await screenshot(page, "agents-fallback-done-1280");

    await page.goto(`${server.url}/#/runs`);
    const row = page.locator("[data-testid=runs-table] tbody tr").first();
    await row.waitFor();
    expect(await row.getByTestId("run-agent").textContent()).toBe("claude (fallback from codex)");
    expect(await row.textContent()).toContain(`tokens · ${formatUsd(cost)}`);

    await page.goto(`${server.url}/#/runs/1`);
    await page.getByTestId("run-verify").waitFor();
    expect(await page.getByTestId("run-agent").textContent()).toBe("claude (fallback from codex)");
    expect(await page.getByTestId("run-usage").textContent()).toMatch(spendRe("", cost));

    for (const view of ["dashboard", "runs", "runs/1"]) {
      await withMobilePage(browser, `${server.url}/#/${view}`, async (m) => {
        if (view === "dashboard") await expectLimitShown(m, limit);
        if (view === "runs") await m.locator("[data-testid=runs-table] tbody tr").first().waitFor();
        if (view === "runs/1") await m.getByTestId("run-usage").waitFor();
        await screenshot(m, `agents-fallback-${view.replace("/", "-")}-375`);
        await expectNoPageOverflow(m);
      });
    }
  });
});
