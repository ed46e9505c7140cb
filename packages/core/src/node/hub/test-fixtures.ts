/**
 * Test-only: a hub root in a temp folder with real git repos in it, set up like the engine tests'
 * repos (initRepo, their stand-in agent). Not exported from the package.
 */
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { fillTestRepo, gitInitTestRepo, removeTestDir, STAND_IN_AGENT } from "../engine/test-fixtures.js";
import { type HubRegistry, type OpenHubOptions, openHub } from "./registry.js";

export interface TestHub {
  root: string;
  /** Outside the root: the stand-in agent and its side files ($SIDE). */
  side: string;
  agent: string;
  /** A git repo at `rel` under the root; initialised for the stand-in agent unless `init: false`. */
  repo(rel: string, options?: { init?: boolean; git?: boolean; todo?: string }): Promise<string>;
  /** openHub over the root, closed after the test. */
  open(options?: OpenHubOptions): Promise<HubRegistry>;
}

/**
 * For a test file: after each test, closes the hubs it opened (waiting for a start in progress), ends
 * the runners started in its repos and removes its folders.
 */
export function useTestHubs(): () => Promise<TestHub> {
  const bases: string[] = [];
  const hubs: HubRegistry[] = [];
  afterEach(async () => {
    const open = hubs.splice(0);
    for (const hub of open) hub.close();
    await Promise.all(open.map((hub) => hub.settled()));
    await Promise.all(bases.splice(0).map(removeTestDir));
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
        gitInitTestRepo(dir);
        if (options.init === false) return dir;
        await fillTestRepo(dir, agent, { todo: options.todo ?? "# TODO\n\n- [ ] one\n- [ ] two\n" });
        return dir;
      },
      async open(options = {}) {
        const hub = await openHub(root, options);
        hubs.push(hub);
        return hub;
      },
    };
  };
}
