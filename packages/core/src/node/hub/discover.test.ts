import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { discoverRepos } from "./discover.js";
import { useTestHubs } from "./test-fixtures.js";

const makeHub = useTestHubs();

describe("discoverRepos", () => {
  it("finds initialised git repos down to the depth; skips the rest", async () => {
    const hub = await makeHub();
    const a = await hub.repo("a");
    const nested = await hub.repo("group/b");
    await hub.repo("group/deeper/c"); // depth 3
    await hub.repo("plain", { init: false }); // git, no config.yml
    await hub.repo("nogit", { git: false });
    await fsp.mkdir(join(hub.root, "nogit/.codex-autorunner"), { recursive: true });
    await fsp.writeFile(join(hub.root, "nogit/.codex-autorunner/config.yml"), "version: 1\n");
    await hub.repo(".hidden/d");
    await hub.repo("node_modules/e");
    expect(await discoverRepos(hub.root, 2)).toEqual([a, nested]);
    expect(await discoverRepos(hub.root, 1)).toEqual([a]);
    expect(await discoverRepos(hub.root, 0)).toEqual([]);
    expect(await discoverRepos(hub.root, 3)).toEqual([a, nested, join(hub.root, "group/deeper/c")]);
  });

  it("does not enter a found repo, and does not follow symbolic links", async () => {
    const hub = await makeHub();
    const outer = await hub.repo("outer");
    await hub.repo("outer/inner");
    const elsewhere = await hub.repo("../outside");
    await fsp.symlink(elsewhere, join(hub.root, "link"));
    await fsp.symlink(join(hub.root, "outer"), join(hub.root, "loop"));
    expect(await discoverRepos(hub.root, 3)).toEqual([outer]);
  });

  it("a missing root finds nothing", async () => {
    expect(await discoverRepos("/nonexistent/car-hub-root", 2)).toEqual([]);
  });
});
