/**
 * `car doctor` with the pinned Claude Code CLI as the agent: the real binary's `--version`, and the
 * root-without-IS_SANDBOX refusal it would meet in `car run`, explained before a run fails on it.
 */
import {
  type ClaudeHome,
  claudeArgs,
  claudeBinaryPath,
  claudeEnvFor,
  makeClaudeHome,
  makeTempRepo,
  runCar,
  type TempRepo,
} from "@codex-autorunner/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

/** doctor only runs `claude --version`; the env (no developer credentials, temp HOME) needs a URL. */
const NO_SERVER = { url: "http://127.0.0.1:9/v1" };
let home: ClaudeHome;
let repo: TempRepo;

beforeEach(() => {
  home = makeClaudeHome();
  repo = makeTempRepo({
    prefix: "car-claude-doctor-",
    config: { claude: { binary: claudeBinaryPath(), args: claudeArgs("run") }, runner: { agent: "claude" } },
  });
});

afterEach(() => {
  repo.cleanup();
  home.cleanup();
});

describe("car doctor with runner.agent: claude (real Claude Code CLI)", () => {
  it("finds the binary and prints its version; codex is not checked", async () => {
    const r = await runCar(["doctor"], {
      cwd: repo.root,
      env: claudeEnvFor(NO_SERVER, home),
    });
    expect(r.stdout).toMatch(/^ok +claude binary +\S+$/m);
    expect(r.stdout).toContain(claudeBinaryPath());
    // What the pinned CLI prints, e.g. "2.1.332 (Claude Code)".
    expect(r.stdout).toMatch(/^ok +claude version +\d+\.\d+\.\d+ \(Claude Code\)$/m);
    expect(r.stdout).toMatch(/^ok +claude permissions /m);
    expect(r.stdout).not.toMatch(/^\S+ +agent binary/m);
    expect(r.code).toBe(0);
  });

  it("explains IS_SANDBOX=1 when run as root without it (a non-root user passes)", async () => {
    const r = await runCar(["doctor"], {
      cwd: repo.root,
      env: { ...claudeEnvFor(NO_SERVER, home), IS_SANDBOX: undefined },
    });
    if (process.getuid?.() === 0) {
      expect(r.stdout).toMatch(/^FAIL +claude permissions +running as root, .*IS_SANDBOX=1/m);
      expect(r.code).toBe(1);
    } else {
      expect(r.stdout).toMatch(/^ok +claude permissions /m);
      expect(r.code).toBe(0);
    }
  });
});
