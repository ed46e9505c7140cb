/**
 * Test-only: a hub root in a temp folder with real git repos in it, initialised by initRepo and driven
 * by the engine tests' stand-in agent. Not exported from the package.
 */
import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { STAND_IN_AGENT, writeConfig } from "../engine/test-fixtures.js";
import { initRepo } from "../init.js";

export interface TestHub {
  root: string;
  /** Outside the root: the stand-in agent and its side files ($SIDE). */
  side: string;
  agent: string;
  /** A git repo at `rel` under the root; initialised for the stand-in agent unless `init: false`. */
  repo(rel: string, options?: { init?: boolean; git?: boolean; todo?: string }): Promise<string>;
}

export function useTestHubs(): () => Promise<TestHub> {
  const bases: string[] = [];
  afterEach(async () => {
    await Promise.all(bases.splice(0).map((b) => fsp.rm(b, { recursive: true, force: true })));
  });
  return async () => {
    const base = await fsp.mkdtemp(join(tmpdir(), "car-hub-"));
    bases.push(base);
    const root = join(base, "root");
    const side = join(base, "side");
    await fsp.mkdir(root);
    await fsp.mkdir(side);
    const agent = join(side, "agent.mjs");
    await fsp.writeFile(agent, STAND_IN_AGENT);
    return {
      root,
      side,
      agent,
      async repo(rel, options = {}) {
        const dir = join(root, rel);
        await fsp.mkdir(dir, { recursive: true });
        if (options.git === false) return dir;
        const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
        git("init", "--quiet");
        git("config", "user.email", "t@example.com");
        git("config", "user.name", "Test");
        if (options.init === false) return dir;
        await initRepo(dir);
        await writeConfig(dir, agent);
        await fsp.writeFile(
          join(dir, ".codex-autorunner/TODO.md"),
          options.todo ?? "# TODO\n\n- [ ] one\n- [ ] two\n",
        );
        git("add", "-A");
        git("commit", "--quiet", "-m", "init");
        return dir;
      },
    };
  };
}
