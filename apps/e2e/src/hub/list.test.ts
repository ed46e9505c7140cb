/**
 * `car hub add / list / remove` as real processes over a hub root holding every kind of repo the list
 * must survive: initialised (discovered, also nested), uninitialised, broken config.yml, registered
 * but gone. Removing never touches a file of the repo (checked on a listing of the whole root).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { type HubRepo, type HubReposBody, hubReposBodySchema } from "@codex-autorunner/core";
import { makeTempRepo, runCar } from "@codex-autorunner/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoUnder } from "./support.js";

let hubRoot = "";
let elsewhere = "";

function gitInit(dir: string): string {
  mkdirSync(dir, { recursive: true });
  execFileSync("git", ["init", "-q"], { cwd: dir });
  return dir;
}

/** `car hub …` with `--root` (run from another folder, so the flag is what names the root). */
const hubCar = (...args: string[]) => runCar(["hub", ...args, "--root", hubRoot], { cwd: elsewhere });

async function listJson(): Promise<HubReposBody> {
  const r = await hubCar("list", "--json");
  expect(r.code, r.stderr).toBe(0);
  return hubReposBodySchema.parse(JSON.parse(r.stdout));
}

function repoIn(body: HubReposBody, id: string): HubRepo {
  const repo = body.repos.find((r) => r.id === id);
  if (!repo) throw new Error(`no repo ${id} in the list: ${body.repos.map((r) => r.id).join(", ")}`);
  return repo;
}

/** Every file under `dir` (hub's own files aside) with a hash of its bytes: what "never deletes" keeps. */
function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      if (rel === "hub.yml" || rel === ".car-hub") continue;
      if (e.isDirectory()) walk(p);
      else out[rel] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

beforeAll(() => {
  hubRoot = mkdtempSync(join(tmpdir(), "car-hub-list-"));
  elsewhere = mkdtempSync(join(tmpdir(), "car-hub-cwd-"));
  repoUnder(hubRoot, "alpha");
  repoUnder(hubRoot, "services/api", { todo: ["one", "two"] });
  const broken = repoUnder(hubRoot, "broken");
  writeFileSync(join(broken.dir, "config.yml"), 'version: 1\nrunner:\n  sleep_seconds: "soon"\n');
  gitInit(join(hubRoot, "plain"));
  gitInit(join(hubRoot, "fresh"));
  gitInit(join(hubRoot, "gone"));
  mkdirSync(join(hubRoot, "notes"));
});

afterAll(() => {
  rmSync(hubRoot, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

describe("car hub add / list / remove", () => {
  it("add registers git repos (--init initialises one), refuses what is not one", async () => {
    // The root defaults to the current folder; PATH is relative to it.
    const plain = await runCar(["hub", "add", "plain"], { cwd: hubRoot });
    expect(plain.code, plain.stderr).toBe(0);
    const fresh = await hubCar("add", join(hubRoot, "fresh"), "--init");
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(existsSync(join(hubRoot, "fresh", ".codex-autorunner", "config.yml"))).toBe(true);
    expect(existsSync(join(hubRoot, "fresh", ".codex-autorunner", "TODO.md"))).toBe(true);
    const gone = await hubCar("add", join(hubRoot, "gone"));
    expect(gone.code, gone.stderr).toBe(0);
    expect(readFileSync(join(hubRoot, "hub.yml"), "utf8")).toMatch(/plain[\s\S]*fresh[\s\S]*gone/);

    const again = await hubCar("add", join(hubRoot, "plain"));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already/i);
    expect(again.stderr).toContain("plain");

    const notGit = await hubCar("add", join(hubRoot, "notes"));
    expect(notGit.code).toBe(2);
    expect(notGit.stderr).toContain("notes");
    expect(notGit.stderr).toMatch(/git/i);
    expect(readFileSync(join(hubRoot, "hub.yml"), "utf8")).not.toContain("notes");
  });

  it("add refuses a path outside the root, naming the path, the root and allow_outside_root", async () => {
    const outside = makeTempRepo({ prefix: "car-hub-outside-" });
    try {
      const before = readFileSync(join(hubRoot, "hub.yml"), "utf8");
      const r = await hubCar("add", outside.root);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(outside.root);
      expect(r.stderr).toContain(hubRoot);
      expect(r.stderr).toContain("allow_outside_root");
      expect(readFileSync(join(hubRoot, "hub.yml"), "utf8")).toBe(before);
    } finally {
      outside.cleanup();
    }
  });

  it("list --json shows every repo with its status and error, whatever state it is in", async () => {
    rmSync(join(hubRoot, "gone"), { recursive: true, force: true });
    const body = await listJson();
    expect(body.root).toBe(hubRoot);
    expect(body.max_concurrent_runs).toBeNull();
    expect(body.active_runs).toBe(0);
    expect(body.repos.map((r) => r.id).sort()).toEqual(
      ["alpha", "broken", "fresh", "gone", "plain", "services~api"].sort(),
    );

    expect(repoIn(body, "alpha")).toMatchObject({
      name: "alpha",
      path: join(hubRoot, "alpha"),
      source: "discovered",
      status: "idle",
      error: null,
      running: false,
      runner_pid: null,
      outstanding_count: 3,
      done_count: 0,
      last_run: null,
      queued: null,
    });
    expect(repoIn(body, "services~api")).toMatchObject({
      name: "api",
      path: join(hubRoot, "services", "api"),
      source: "discovered",
      status: "idle",
      outstanding_count: 2,
    });
    expect(repoIn(body, "fresh")).toMatchObject({ source: "manifest", status: "idle", error: null });

    const broken = repoIn(body, "broken");
    expect(broken).toMatchObject({ source: "discovered", status: "config_error", running: false });
    expect(broken.error).toContain("config.yml");
    expect(broken.error).toContain("runner.sleep_seconds");

    const plain = repoIn(body, "plain");
    expect(plain).toMatchObject({ source: "manifest", status: "uninitialised", running: false });
    expect(plain.error).toMatch(/config\.yml|car init/);

    const gone = repoIn(body, "gone");
    expect(gone).toMatchObject({ source: "manifest", status: "missing", path: join(hubRoot, "gone") });
    expect(gone.error).toEqual(expect.any(String));

    // The plain listing names every repo too.
    const text = await hubCar("list");
    expect(text.code, text.stderr).toBe(0);
    for (const id of ["alpha", "broken", "fresh", "gone", "plain", "services~api"])
      expect(text.stdout).toContain(id);
  });

  it("remove forgets a repo (manifest or discovered) and never deletes a file", async () => {
    const before = filesUnder(hubRoot);
    expect(Object.keys(before)).toContain(join("fresh", ".codex-autorunner", "config.yml"));

    for (const id of ["fresh", "alpha", "gone"]) {
      const r = await hubCar("remove", id);
      expect(r.code, `${id}: ${r.stderr}`).toBe(0);
      expect(r.stdout + r.stderr).toContain(id);
    }
    const unknown = await hubCar("remove", "nope");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("nope");

    expect(filesUnder(hubRoot)).toEqual(before);
    const hubYml = readFileSync(join(hubRoot, "hub.yml"), "utf8");
    expect(hubYml).toMatch(/exclude:[\s\S]*alpha/);
    const body = await listJson();
    expect(body.repos.map((r) => r.id).sort()).toEqual(["broken", "plain", "services~api"]);
  });
});
