/**
 * The README's promises to a newcomer, as written: its first commands use `car` (no `npx` of an
 * unpublished package), the set-up script's link puts a working `car` on PATH, and `car serve` prints
 * the address to open with its access token. The link runs into a temporary npm prefix, with the
 * same arguments scripts/setup.sh uses, so the machine's global npm folder is not touched.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTempRepo, type TempRepo, workspaceRoot } from "@codex-autorunner/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = workspaceRoot();
const readme = readFileSync(join(root, "README.md"), "utf8");
const setup = readFileSync(join(root, "scripts", "setup.sh"), "utf8");

let prefix: string;
let car: string;
let repo: TempRepo;

beforeAll(() => {
  prefix = mkdtempSync(join(tmpdir(), "car-readme-prefix-"));
  // The link command exactly as setup.sh runs it, plus --prefix.
  const line = setup.split("\n").find((l) => /npm install -g .*\.\/packages\/cli/.test(l));
  expect(line, "scripts/setup.sh links the CLI").toBeDefined();
  const args = (/npm (install -g [^>]*\.\/packages\/cli)/.exec(line as string)?.[1] ?? "")
    .trim()
    .split(/\s+/);
  const r = spawnSync("npm", [...args, "--prefix", prefix], { cwd: root, encoding: "utf8", timeout: 90_000 });
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  car = join(prefix, "bin", "car");
  repo = makeTempRepo({ prefix: "car-readme-", todo: ["one"] });
});

afterAll(() => {
  repo?.cleanup();
  if (prefix) rmSync(prefix, { recursive: true, force: true });
});

describe("README, as a newcomer reads it", () => {
  it("the first commands call `car`, never `npx` of the unpublished package", () => {
    const first = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    const commands = first
      .split("\n")
      .map((l) => l.replace(/#.*$/, "").trim())
      .filter(Boolean);
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands) for (const part of c.split("&&")) expect(part.trim()).toMatch(/^car /);
    expect(readme).not.toMatch(/npx codex-autorunner/);
    expect(readme).toMatch(/ESM-only/);
  });

  it("the linked `car` (and its long name) runs from any folder", () => {
    const v = spawnSync(car, ["--version"], { cwd: tmpdir(), encoding: "utf8" });
    const pkg = JSON.parse(readFileSync(join(root, "packages", "cli", "package.json"), "utf8"));
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
    const long = spawnSync(join(prefix, "bin", "codex-autorunner"), ["status", "--json"], {
      cwd: repo.root,
      encoding: "utf8",
    });
    expect(long.status, long.stderr).toBe(0);
    expect(JSON.parse(long.stdout).status).toBe("idle");
  });

  it("`car serve` prints the address to open with its generated token, and that token works", async () => {
    const child = spawn(car, ["serve", "--port", "0"], {
      cwd: repo.root,
      env: { ...process.env, CAR_AUTH_TOKEN: "", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await printedUrl(child);
      const u = new URL(url);
      const token = u.searchParams.get("token") ?? "";
      expect(token.length).toBeGreaterThanOrEqual(16);
      expect(readFileSync(join(repo.dir, "server-token"), "utf8").trim()).toBe(token);
      const api = new URL("/api/state", u.origin);
      expect((await fetch(api)).status).toBe(401);
      const ok = await fetch(api, { headers: { Authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
  });
});

function printedUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString("utf8");
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", () => reject(new Error(`car serve exited: ${out}`)));
  });
}
