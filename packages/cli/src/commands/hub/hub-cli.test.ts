// `car hub serve|list|add|remove` and `car stop` on a queued start (built bin, real files and processes).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { HubReposBody } from "@codex-autorunner/core";
import { makeTempRepo, runCar, spawnCar, waitFor } from "@codex-autorunner/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

let root: string;
let alpha: string;
const cleanups: Array<() => void | Promise<void>> = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "car-hub-cli-"));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  // Under the root: an initialised repo (discovered), an uninitialised one and a missing one (listed),
  // one with a broken config.
  alpha = makeTempRepo({ prefix: `${basename(root)}/alpha-` }).root;
  const broken = makeTempRepo({ prefix: `${basename(root)}/broken-` });
  writeFileSync(join(broken.dir, "config.yml"), "version: 1\nrunner:\n  sleep_seconds: soon\n");
  gitInit(join(root, "gamma"));
  writeFileSync(join(root, "hub.yml"), "repos:\n  - gamma\n  - gone\n");
});

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function gitInit(dir: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync("git", ["init", "-q"], { cwd: dir, stdio: "pipe" });
}

async function listJson(): Promise<HubReposBody> {
  const r = await runCar(["hub", "list", "--json", "--root", root]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as HubReposBody;
}

const queuedFile = (repo: string) => join(repo, ".codex-autorunner", "hub", "queued.json");

describe("car hub list", () => {
  it("lists every repo with its status, as JSON and as lines", async () => {
    const body = await listJson();
    const status = Object.fromEntries(body.repos.map((r) => [r.name.replace(/-.*/, ""), r.status]));
    expect(status).toEqual({
      alpha: "idle",
      broken: "config_error",
      gamma: "uninitialised",
      gone: "missing",
    });
    expect(body).toMatchObject({ root, max_concurrent_runs: null, active_runs: 0 });
    const text = await runCar(["hub", "list"], { cwd: root });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^hub .*: 4 repos, 0 running \(no cap\)$/m);
    expect(text.stdout).toMatch(/^gamma {2}uninitialised {2}.*gamma$/m);
    expect(text.stdout).toMatch(/^ {4}.*sleep_seconds/m);
  });

  it("shows a queued start with its place, and does not start it", async () => {
    mkdirSync(join(alpha, ".codex-autorunner", "hub"), { recursive: true });
    writeFileSync(queuedFile(alpha), JSON.stringify({ since: "2026-01-01T00:00:00Z", once: true }));
    const body = await listJson();
    const card = body.repos.find((r) => r.path === alpha);
    expect(card).toMatchObject({ status: "queued", queued: { position: 1, once: true }, running: false });
    // Listing is read-only: the queued start is still waiting for a hub, no runner was launched.
    expect(existsSync(queuedFile(alpha))).toBe(true);
    expect(existsSync(join(alpha, ".codex-autorunner", "lock"))).toBe(false);
  });

  it("a broken hub.yml is an error naming the file and key", async () => {
    writeFileSync(join(root, "hub.yml"), "repos: [gamma]\nnope: 1\n");
    const r = await runCar(["hub", "list", "--root", root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("hub.yml");
    expect(r.stderr).toContain("nope");
  });
});

describe("car hub add / remove", () => {
  it("adds a repo under the root (relative to the current folder), with --init", async () => {
    gitInit(join(root, "delta"));
    const r = await runCar(["hub", "add", "delta", "--init"], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("car: added delta");
    expect(existsSync(join(root, "delta", ".codex-autorunner", "config.yml"))).toBe(true);
    expect(readFileSync(join(root, "hub.yml"), "utf8")).toMatch(/- delta/);
    expect((await listJson()).repos.find((x) => x.id === "delta")).toMatchObject({ status: "idle" });
    const again = await runCar(["hub", "add", "delta"], { cwd: root });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already");
  });

  it("refuses a path outside the root and a folder that is not a git repo", async () => {
    const outside = mkdtempSync(join(tmpdir(), "car-hub-out-"));
    cleanups.push(() => rmSync(outside, { recursive: true, force: true }));
    gitInit(outside);
    const out = await runCar(["hub", "add", outside, "--root", root]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("outside");
    mkdirSync(join(root, "plain"));
    const plain = await runCar(["hub", "add", "plain"], { cwd: root });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain("not a git repository");
    expect(readFileSync(join(root, "hub.yml"), "utf8")).toBe("repos:\n  - gamma\n  - gone\n");
  });

  it("removes a listed repo from repos: and a discovered one into exclude:, deleting nothing", async () => {
    const gamma = await runCar(["hub", "remove", "gamma", "--root", root]);
    expect(gamma.code, gamma.stderr).toBe(0);
    expect(gamma.stdout).toContain("from hub.yml's repos:");
    const id = (await listJson()).repos.find((r) => r.path === alpha)!.id;
    const discovered = await runCar(["hub", "remove", id, "--root", root]);
    expect(discovered.code, discovered.stderr).toBe(0);
    expect(discovered.stdout).toContain("exclude:");
    const ids = (await listJson()).repos.map((r) => r.id);
    expect(ids).not.toContain("gamma");
    expect(ids).not.toContain(id);
    expect(existsSync(join(root, "gamma", ".git"))).toBe(true);
    expect(existsSync(join(alpha, ".codex-autorunner", "config.yml"))).toBe(true);
    const none = await runCar(["hub", "remove", "nope", "--root", root]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("No repo with id");
  });
});

describe("car hub serve", () => {
  it("makes a token under .car-hub/, prints the URL with it, serves the hub; SIGTERM ends it", async () => {
    const car = spawnCar(["hub", "serve", "--port", "0", "--root", root], {
      env: { CAR_AUTH_TOKEN: undefined },
      timeoutMs: 60_000,
    });
    cleanups.push(async () => {
      car.child.kill("SIGTERM");
      await car.exited;
    });
    const m = await Promise.race([
      waitFor(
        () =>
          /^codex-autorunner hub serving (http:\/\/127\.0\.0\.1:\d+)\/\?token=([A-Za-z0-9_-]{43})$/m.exec(
            car.stdout(),
          ),
        {
          what: "the banner",
        },
      ),
      car.exited.then((r): never => {
        throw new Error(`car hub serve exited ${r.code}: ${r.stderr}`);
      }),
    ]);
    const [, url, token] = m;
    const file = join(root, ".car-hub", "server-token");
    expect(readFileSync(file, "utf8").trim()).toBe(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The folder ignores itself: its .gitignore is left as written, and the banner says nothing of it.
    const ignore = readFileSync(join(root, ".car-hub", ".gitignore"), "utf8");
    expect(ignore).toMatch(/^\*$/m);
    expect(ignore).not.toContain("server-token");
    expect(car.stdout()).not.toContain(".gitignore");
    expect(car.stdout()).toContain("repos: 4; max concurrent runs: no cap");
    expect((await fetch(`${url}/hub/repos`)).status).toBe(401);
    const res = await fetch(`${url}/hub/repos`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as HubReposBody).repos).toHaveLength(4);
    car.child.kill("SIGTERM");
    const end = await car.exited;
    expect(end.code).toBe(0);
    expect(end.stdout).toContain("codex-autorunner hub stopping (SIGTERM)");
  });

  it("refuses a non-loopback address without a token, and bad option values", async () => {
    const r = await runCar(["hub", "serve", "--host", "0.0.0.0", "--no-auth", "--root", root], {
      env: { CAR_AUTH_TOKEN: undefined },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--no-auth is for loopback addresses only");
    expect(existsSync(join(root, ".car-hub"))).toBe(false);
    const cap = await runCar(["hub", "serve", "--max-concurrent-runs", "0", "--root", root]);
    expect(cap.code).toBe(2);
    expect(cap.stderr).toContain("--max-concurrent-runs");
    const missing = await runCar(["hub", "list", "--root", join(root, "nope")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such folder");
    const file = await runCar(["hub", "list", "--root", join(root, "hub.yml")]);
    expect(file.code).toBe(2);
    expect(file.stderr).toContain(`--root ${join(root, "hub.yml")}: not a folder`);
  });
});

describe("car stop and a hub's queued start", () => {
  it("cancels the queued start when no runner is running; then there is nothing to stop", async () => {
    mkdirSync(join(alpha, ".codex-autorunner", "hub"), { recursive: true });
    writeFileSync(queuedFile(alpha), JSON.stringify({ since: "2026-01-01T00:00:00Z", once: false }));
    const r = await runCar(["stop"], { cwd: alpha });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("cancelled the start a hub had queued");
    expect(existsSync(queuedFile(alpha))).toBe(false);
    const again = await runCar(["stop"], { cwd: alpha });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("No runner is running");
  });
});
