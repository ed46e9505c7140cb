/**
 * runner.agent: codex with runner.fallback_agent: claude, both real CLIs, each against its own scripted
 * model server: codex's answers a rate limit, so run 1 goes on with claude at once (no wait); state and
 * `car status` name codex's limit and claude as the next agent; after the reset codex is used again.
 */
import {
  claudeEnvFor,
  codexArgsFor,
  codexBinaryPath,
  codexEnvFor,
  faultsThen,
  type ModelRequest,
  type ModelServer,
  type ModelStep,
  makeCodexHome,
  rateLimited,
  rateLimitedFor,
  spawnCar,
  startModelServer,
  waitFor,
} from "@codex-autorunner/testkit";
import { afterEach, describe, expect, it } from "vitest";
import {
  asTokenUsage,
  readLog,
  readState,
  servedForThread,
  tickingModel,
  trackForCleanup,
} from "../codex/setup.js";
import { attempts, diag } from "../overnight/support.js";
import {
  asClaudeTokenUsage,
  type ClaudeRepo,
  claudeTickingModel,
  makeClaudeRepo,
  readAgentRecords,
  servedForSession,
  statusJson,
} from "./setup.js";

const tracked = trackForCleanup();
/**
 * Codex's limit, in seconds. Run 1's handover to claude, claude's first request and a `car status`
 * must all happen before it ends: about 1 s here, 3.5 s on a 2-core machine under heavy load.
 */
const RESET_S = 6;
let codexServer: ModelServer | null = null;

afterEach(async () => {
  await codexServer?.close();
  codexServer = null;
});

/**
 * A repo whose primary agent is codex (against `codexSrv`) and fallback claude (against `claudeSrv`).
 * One environment serves both CLIs: codex's CODEX_HOME, claude's HOME (both throwaway dirs).
 */
function makeFallbackRepo(codexSrv: ModelServer, claudeSrv: ModelServer, runner: Record<string, unknown>) {
  const repo = makeClaudeRepo(claudeSrv, {
    runner: { agent: "codex", fallback_agent: "claude", ...runner },
    extraConfig: { codex: { binary: codexBinaryPath(), args: codexArgsFor(codexSrv) } },
  });
  const codexHome = makeCodexHome();
  const r: ClaudeRepo = {
    ...repo,
    env: {
      ...claudeEnvFor(claudeSrv, repo.home, codexEnvFor(codexHome)),
      CAR_AUTH_TOKEN: undefined,
      CAR_DEBUG: "1",
    },
    cleanup: () => {
      repo.cleanup();
      codexHome.cleanup();
    },
  };
  return r;
}

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("fallback from codex to claude on a usage limit", () => {
  it.each([
    // codex 0.169 drops a 429's text: no reset time, so car's backoff (limit_wait_seconds) sets it.
    [`an HTTP 429 (reset: car's backoff of ${RESET_S} s)`, rateLimited(), { limit_wait_seconds: RESET_S }],
    [`a rate limit that resets in ${RESET_S} s`, rateLimitedFor(RESET_S), { limit_wait_seconds: 600 }],
  ] as Array<
    [string, ModelStep, Record<string, unknown>]
  >)("codex gets %s: run 1 is done by claude; codex runs again after the reset", async (_name, limit, runner) => {
    let limitedAt = 0;
    codexServer = await startModelServer({
      script: faultsThen(
        1,
        (req) => {
          limitedAt = req.at;
          return limit;
        },
        tickingModel,
      ),
    });
    const codexSrv = codexServer;
    // Claude's first answer waits for the test: status is read while run 1 is claude's, and run 2
    // starts after codex's reset (without a sleep between runs).
    const hold = gate();
    let held = false;
    const claudeSrv = await startModelServer({
      script: async (req: ModelRequest) => {
        if (!held) {
          held = true;
          await hold.opened;
        }
        return claudeTickingModel(req);
      },
    });
    tracked.server = claudeSrv;
    const r = makeFallbackRepo(codexSrv, claudeSrv, { max_retries: 0, ...runner });
    tracked.repo = r;
    const car = spawnCar(["run", "--quiet"], { cwd: r.root, env: r.env, timeoutMs: 90_000 });
    tracked.car = car;

    await waitFor(() => claudeSrv.requests.length > 0, { timeoutMs: 60_000, what: "claude's first request" });
    const limits = readState(r).agent_limits as Record<string, { until: string; message: string }>;
    expect(Object.keys(limits)).toEqual(["codex"]);
    const until = Date.parse(limits.codex?.until ?? "");
    // The reset is RESET_S after codex's request; state keeps whole seconds, rounded up.
    expect(until).toBeGreaterThanOrEqual(limitedAt + RESET_S * 1000);
    expect(until).toBeLessThan(limitedAt + RESET_S * 1000 + 2_500);
    expect(limits.codex?.message).toMatch(/429|rate limit/i);
    const during = await statusJson(r);
    expect(during.agents).toEqual({
      primary: "codex",
      fallback: "claude",
      next: "claude",
      limits: [{ agent: "codex", until: limits.codex?.until, message: limits.codex?.message }],
    });
    expect(during.status).toBe("running");
    expect(during.last_run).toMatchObject({ id: 1, agent: "claude", fallback_from: "codex" });
    // Not a wait: the run went on with claude at once.
    expect(during.waiting).toBeNull();

    await waitFor(() => Date.now() > until + 100, { timeoutMs: 15_000, what: "codex's reset" });
    hold.open();
    const done = await car.exited;
    expect(done.code, diag(r, done)).toBe(0);

    const records = readAgentRecords(r);
    expect(records.map((x) => [x.id, x.agent, x.fallback_from, x.backend, x.outcome])).toEqual([
      [1, "claude", "codex", "claude-json", "completed"],
      [2, "codex", null, "codex-json", "completed"],
      [3, "codex", null, "codex-json", "completed"],
    ]);
    const [run1, run2, run3] = records;
    // Codex's limited attempt, then claude's: one run, no retry counted, no wait.
    expect(run1).toMatchObject({ attempts: 2, final_message: "Ticked: first task", limit_wait_ms: 0 });
    expect(run1?.usage).toEqual(asClaudeTokenUsage(servedForSession(claudeSrv, run1?.thread_id ?? null)));
    expect(run1?.cost_usd).toBeGreaterThan(0);
    expect(run2).toMatchObject({ attempts: 1, final_message: "Ticked: second task", cost_usd: null });
    expect(run2?.usage).toEqual(asTokenUsage(servedForThread(codexSrv, run2?.thread_id ?? null)));
    expect(run3?.final_message).toBe("Ticked: third task");

    // Codex asked again only after its reset; claude had one run (2 requests).
    const codexAsked = attempts(codexSrv.requests);
    expect(codexAsked).toHaveLength(3);
    expect(codexAsked[1]?.at).toBeGreaterThanOrEqual(until);
    expect(attempts(claudeSrv.requests)).toHaveLength(1);
    expect(claudeSrv.requests).toHaveLength(2);
    // Run 1's prompt went to both agents; claude's final message is run 2's previous output.
    expect(codexAsked[0]?.prompt).toContain("- [ ] first task");
    expect(claudeSrv.requests[0]?.prompt).toContain("- [ ] first task");
    expect(codexAsked[1]?.prompt).toContain("Ticked: first task");

    expect(readLog(r)).toMatch(
      /run=1 stderr: \[car\] codex: usage limit until \S+ \(.+\); run 1 goes on with claude/,
    );
    const after = await statusJson(r);
    expect(after.agents).toMatchObject({ next: "codex", limits: [] });
    expect(after.last_run).toMatchObject({ id: 3, agent: "codex", fallback_from: null });
    expect(after.cost_usd.total).toBe(run1?.cost_usd);
  });
});
