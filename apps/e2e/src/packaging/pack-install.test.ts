/**
 * The published packages as a user gets them: `pnpm pack` each one (workspace:* becomes a version),
 * `npm install` the four tarballs into an empty folder (third-party dependencies from the npm
 * registry), then run the installed `car` bin and compile TypeScript against the installed types.
 * Nothing is cached between runs; the static checks of the same tarballs are scripts/check-packages.mjs.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { standInAgentPath } from "@codex-autorunner/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packPackage, publishedPackages } from "../../../../scripts/packages.mjs";

const PUBLISHED = [
  "@codex-autorunner/core",
  "@codex-autorunner/server",
  "@codex-autorunner/web",
  "codex-autorunner",
];
const TOKEN = "pack-install-token-0123456789abc"; // 32 characters, like a generated one
const TSC = createRequire(import.meta.url).resolve("typescript/lib/tsc.js");
const packages = publishedPackages();

let root: string;
let app: string; // the npm project the tarballs are installed into
let car: string; // app/node_modules/.bin/car, run directly (shebang and exec bit included)

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  // A deadline of its own: a blocking spawn would also block vitest's test timeout.
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    timeout: 90_000,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  return { code: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "car-pack-install-"));
  const tarballs = join(root, "tarballs");
  app = join(root, "app");
  mkdirSync(tarballs);
  mkdirSync(app);
  const files = packages.map((p) => packPackage(p.dir, tarballs).filename);
  writeFileSync(
    join(app, "package.json"),
    '{ "name": "car-pack-install", "private": true, "type": "module" }\n',
  );
  // @types/node only for the /node type check below; the range the workspace builds against.
  const typesNode = `@types/node@${packages.find((p) => p.name === "@codex-autorunner/core")!.manifest.devDependencies["@types/node"]}`;
  execFileSync("npm", ["install", "--no-audit", "--no-fund", ...files, typesNode], {
    cwd: app,
    stdio: "pipe",
    timeout: 200_000,
  });
  car = join(app, "node_modules", ".bin", "car");
}, 240_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("packages installed from their tarballs with npm", () => {
  it("the published set is the four packages, each installed at its own version", () => {
    expect(packages.map((p) => p.name).sort()).toEqual(PUBLISHED);
    for (const p of packages) {
      const installed = JSON.parse(readFileSync(join(app, "node_modules", p.name, "package.json"), "utf8"));
      expect(installed.version, p.name).toBe(p.manifest.version);
    }
    // npm satisfied the internal dependencies with the tarballs: no nested copy from the registry.
    for (const p of packages) {
      expect(existsSync(join(app, "node_modules", p.name, "node_modules", "@codex-autorunner")), p.name).toBe(
        false,
      );
    }
  });

  it("car init, car once (stand-in agent), then car serve: API, a run started over HTTP, web UI", async () => {
    const repo = join(root, "repo");
    mkdirSync(repo);
    const init = run(car, ["init", "--git-init"], repo);
    expect(init.code, init.out).toBe(0);

    // Point the config at the stand-in agent through the installed core (its /node entry at run time).
    writeFileSync(
      join(app, "configure.mjs"),
      [
        'import { countTodo } from "@codex-autorunner/core";',
        'import { updateConfigFile } from "@codex-autorunner/core/node";',
        "const [repo, agent] = process.argv.slice(2);",
        'await updateConfigFile(repo, "codex.binary", process.execPath);',
        'await updateConfigFile(repo, "codex.args", [agent]);',
        'console.log(JSON.stringify(countTodo("- [x] a\\n- [ ] b\\n")));',
      ].join("\n"),
    );
    const configured = run(process.execPath, ["configure.mjs", repo, standInAgentPath()], app);
    expect(configured.code, configured.out).toBe(0);
    expect(JSON.parse(configured.out)).toEqual({ outstanding: 1, done: 1 });

    const todo = join(repo, ".codex-autorunner", "TODO.md");
    writeFileSync(todo, "# TODO\n\n- [ ] first task\n- [ ] second task\n");
    const once = run(car, ["once"], repo, { STAND_IN_MODE: "tick" });
    expect(once.code, once.out).toBe(0);
    expect(once.out).toContain("=== run 1 end (code 0) ===");
    expect(readFileSync(todo, "utf8")).toBe("# TODO\n\n- [x] first task\n- [ ] second task\n");

    const server = spawn(car, ["serve", "--host", "127.0.0.1", "--port", "0"], {
      cwd: repo,
      env: { ...process.env, NO_COLOR: "1", CAR_AUTH_TOKEN: TOKEN },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const base = await serverUrl(server);
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      const serverPkg = packages.find((p) => p.name === "@codex-autorunner/server")!;
      expect(await health.json()).toEqual({ ok: true, version: serverPkg.manifest.version });

      expect((await fetch(`${base}/api/state`)).status).toBe(401);
      const state = await fetch(`${base}/api/state`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(state.status).toBe(200);
      expect(await state.json()).toMatchObject({ done_count: 1, outstanding_count: 1, last_run_id: 1 });

      // A run started over HTTP is a detached runner: core's dist/node/runner-main.js, found in the tarball.
      const auth = { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" };
      const started = await fetch(`${base}/api/run/start`, {
        method: "POST",
        headers: auth,
        body: '{"once":true}',
      });
      expect(started.status, await started.clone().text()).toBe(202);
      let last: Record<string, unknown> = {};
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
        last = await (await fetch(`${base}/api/state`, { headers: auth })).json();
        if (last.last_run_id === 2 && last.running === false) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(last).toMatchObject({ last_run_id: 2, running: false, done_count: 2, outstanding_count: 0 });
      expect(readFileSync(todo, "utf8")).toBe("# TODO\n\n- [x] first task\n- [x] second task\n");

      // The UI comes from the installed @codex-autorunner/web, found by the installed server.
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      const webIndex = join(app, "node_modules", "@codex-autorunner", "web", "dist", "ui", "index.html");
      expect(html).toBe(readFileSync(webIndex, "utf8"));
      const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html);
      expect(script, html).not.toBeNull();
      const asset = await fetch(`${base}/${script![1]}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get("content-type")).toContain("text/javascript");
    } finally {
      await stop(server);
    }
  });

  it("the packages' types compile under tsc --strict: core's pure entry with no Node types, the rest with @types/node", () => {
    // skipLibCheck off, so the shipped .d.ts files (and zod's, hono's) are checked too. Each file also
    // expects an error, which only happens if the types are real rather than `any`.
    const pure = tsProject(
      "pure",
      ["es2022", "dom"],
      [],
      [
        'import { countTodo, DEFAULT_CONFIG, parseTodo, type TodoCounts } from "@codex-autorunner/core";',
        'export const counts: TodoCounts = countTodo("- [x] one\\n- [ ] two\\n");',
        'export const items = parseTodo("- [ ] two\\n").map((item) => item.text.toUpperCase());',
        "export const port: number = DEFAULT_CONFIG.server.port;",
        "// @ts-expect-error countTodo takes the TODO text",
        "countTodo(42);",
      ],
    );
    const node = tsProject(
      "node",
      ["es2022"],
      ["node"],
      [
        'import { countTodo } from "@codex-autorunner/core";',
        'import { getStatus, loadConfig, type StatusReport } from "@codex-autorunner/core/node";',
        'import { startServer } from "@codex-autorunner/server";',
        'import { webAssetsDir } from "@codex-autorunner/web";',
        'import { EXIT, main } from "codex-autorunner";',
        "export const usage: number = EXIT.USAGE;",
        "export const run: (argv: string[]) => Promise<number> = main;",
        "export async function summary(repo: string): Promise<string> {",
        "  const report: StatusReport = await getStatus(repo);",
        "  const { config } = await loadConfig(repo);",
        "  const server = await startServer({ root: repo, port: 0 });",
        "  await server.close();",
        '  return [report.status, config.server.port, countTodo("").done, server.url, webAssetsDir].join(" ");',
        "}",
        "// @ts-expect-error getStatus takes the repository root as a string",
        "await getStatus(42);",
      ],
    );
    for (const dir of [pure, node]) {
      const r = run(process.execPath, [TSC, "-p", join(dir, "tsconfig.json")], dir);
      expect(r.code, r.out).toBe(0);
    }
  });
});

/** A folder in the app with check.ts and a strict NodeNext tsconfig (no skipLibCheck). */
function tsProject(name: string, lib: string[], types: string[], source: string[]): string {
  const dir = join(app, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "check.ts"), `${source.join("\n")}\n`);
  const compilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    target: "es2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    lib,
    types,
  };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["check.ts"] }));
  return dir;
}

/** The origin `car serve` prints (any `?token=` it may add is dropped: the test sends its own). */
async function serverUrl(child: ChildProcess): Promise<string> {
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (m) return m[1]!;
    if (child.exitCode !== null) throw new Error(`car serve exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`car serve printed no URL within 30 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
