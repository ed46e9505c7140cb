import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CarError, isCarError } from "../../errors.js";
import { parseHubManifest } from "../../hub/manifest.js";
import { addToManifest, checkNewRepoPath, readHubManifest, removeFromManifest } from "./manifest-io.js";
import { ensureHubDir, hubPaths } from "./paths.js";
import { useTestHubs } from "./test-fixtures.js";

const makeHub = useTestHubs();
const defaults = parseHubManifest("", "hub.yml");

async function refused(p: Promise<unknown>): Promise<CarError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isCarError(err)) throw new Error(`expected a CarError, got ${String(err)}`);
  return err;
}

describe("hub.yml on disk", () => {
  it("a .car-hub that is a symbolic link is refused: nothing (the token) is written where it points", async () => {
    const t = await makeHub();
    const elsewhere = join(t.root, "..", "elsewhere");
    await fsp.mkdir(elsewhere);
    await fsp.symlink(elsewhere, join(t.root, ".car-hub"));
    const err = await refused(ensureHubDir(hubPaths(t.root)));
    expect(err.code).toBe("IO_ERROR");
    expect(err.message).toContain(".car-hub is a symbolic link");
    expect(err.details).toMatchObject({ expected: "a folder", found: "a symbolic link" });
    expect(await fsp.readdir(elsewhere)).toEqual([]);
  });

  it("no hub.yml: defaults; a broken one names the file", async () => {
    const hub = await makeHub();
    const paths = hubPaths(hub.root);
    expect(await readHubManifest(paths)).toEqual({ manifest: defaults, text: null });
    await fsp.writeFile(paths.manifest, "discover_depth: deep\n");
    const err = await refused(readHubManifest(paths));
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.message).toContain(`${paths.manifest}: discover_depth: expected`);
  });

  it("hub.yml must be a small regular file: a FIFO, a link (to /dev/zero) or a huge file is refused", async () => {
    const hub = await makeHub();
    const paths = hubPaths(hub.root);
    const expectRefused = async (found: string) => {
      const err = await refused(readHubManifest(paths));
      expect(err.code).toBe("CONFIG_INVALID");
      expect(err.message).toBe(`${paths.manifest}: expected a regular file of at most 1 MiB, found ${found}`);
      expect(err.details).toMatchObject({ file: paths.manifest });
    };
    execFileSync("mkfifo", [paths.manifest]);
    await expectRefused("a FIFO (named pipe)");
    await fsp.rm(paths.manifest);
    await fsp.symlink("/dev/zero", paths.manifest);
    await expectRefused("a symbolic link");
    await fsp.rm(paths.manifest);
    await fsp.writeFile(paths.manifest, `#${"x".repeat(1_048_576)}\n`);
    await expectRefused("1048578 bytes");
  });

  it("a new repo must be a folder, a git repo, and inside the root unless allowed", async () => {
    const hub = await makeHub();
    const paths = hubPaths(hub.root);
    const ok = await hub.repo("a", { init: false });
    expect(await checkNewRepoPath(paths, defaults, "a")).toBe(ok);
    expect(await checkNewRepoPath(paths, defaults, ok)).toBe(ok);

    const missing = await refused(checkNewRepoPath(paths, defaults, "nope"));
    expect(missing).toMatchObject({ code: "INVALID_ARGUMENT", details: { path: join(hub.root, "nope") } });
    await fsp.writeFile(join(hub.root, "file"), "");
    expect((await refused(checkNewRepoPath(paths, defaults, "file"))).message).toContain("is not a folder");
    await hub.repo("nogit", { git: false });
    const nogit = await refused(checkNewRepoPath(paths, defaults, "nogit"));
    expect(nogit.message).toContain(`${join(hub.root, "nogit")} is not a git repository`);

    const outside = await hub.repo("../outside", { init: false });
    const out = await refused(checkNewRepoPath(paths, defaults, "../outside"));
    expect(out).toMatchObject({
      code: "INVALID_ARGUMENT",
      details: { path: outside, key: "allow_outside_root" },
    });
    // A link inside the root that leads outside is outside too.
    await fsp.symlink(outside, join(hub.root, "link"));
    expect((await refused(checkNewRepoPath(paths, defaults, "link"))).details.key).toBe("allow_outside_root");
    const allowed = { ...defaults, allow_outside_root: true };
    expect(await checkNewRepoPath(paths, allowed, outside)).toBe(outside);
  });

  it("add writes repos: (relative inside the root), remove takes it out or excludes it; files untouched", async () => {
    const hub = await makeHub();
    const paths = hubPaths(hub.root);
    await fsp.writeFile(paths.manifest, "# mine\nmax_concurrent_runs: 3\nexclude: [b]\n");
    const b = await hub.repo("b", { init: false });
    await addToManifest(paths, b, { init: true });
    const after = await readHubManifest(paths);
    expect(after.manifest).toMatchObject({ repos: ["b"], exclude: [], max_concurrent_runs: 3 });
    expect(after.text?.startsWith("# mine\n")).toBe(true);
    await fsp.access(join(b, ".codex-autorunner/config.yml")); // init ran
    await removeFromManifest(paths, b, true);
    expect((await readHubManifest(paths)).manifest).toMatchObject({ repos: [], exclude: ["b"] });
    await removeFromManifest(paths, b, false);
    expect((await readHubManifest(paths)).manifest).toMatchObject({ repos: [], exclude: [] });
    await fsp.access(join(b, ".codex-autorunner/TODO.md"));
  });

  it("the hub's folder ignores itself", async () => {
    const hub = await makeHub();
    const paths = hubPaths(hub.root);
    await ensureHubDir(paths);
    expect(await fsp.readFile(paths.gitignore, "utf8")).toMatch(/^\*$/m);
    expect(paths.serverToken).toBe(join(hub.root, ".car-hub", "server-token"));
  });
});
