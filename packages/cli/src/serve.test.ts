// `car serve` (built bin): the token by default, --no-auth, the banner, exit codes.
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import type { RunningServer } from "@codex-autorunner/server";
import { makeTempRepo, runCar, type SpawnedCar, spawnCar, waitFor } from "@codex-autorunner/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { serveBanner } from "./commands/serve.js";

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function repo(config: Record<string, unknown> = {}) {
  const r = makeTempRepo({ config });
  cleanups.push(() => r.cleanup());
  return r;
}

/** `car serve --port 0` until its banner names a URL; stopped with SIGTERM after the test. */
async function serve(root: string, args: string[] = [], env: Record<string, string | undefined> = {}) {
  const car = spawnCar(["serve", "--port", "0", ...args], {
    cwd: root,
    env: { CAR_AUTH_TOKEN: undefined, ...env },
    timeoutMs: 60_000,
  });
  cleanups.push(async () => {
    car.child.kill("SIGTERM");
    await car.exited;
  });
  const url = await Promise.race([
    waitFor(() => /serving (http:\/\/127\.0\.0\.1:\d+)/.exec(car.stdout())?.[1], { what: "the banner" }),
    car.exited.then((r): never => {
      throw new Error(`car serve exited ${r.code}: ${r.stderr}`);
    }),
  ]);
  return { car, url };
}

const state = (url: string, token?: string) =>
  fetch(`${url}/api/state`, { headers: token ? { Authorization: `Bearer ${token}` } : {} }).then(
    (r) => r.status,
  );

async function stopped(car: SpawnedCar) {
  car.child.kill("SIGTERM");
  return car.exited;
}

describe("car serve", () => {
  it("with no token configured: makes one, keeps it 0600, prints the URL to open with it", async () => {
    const r = repo();
    const { car, url } = await serve(r.root);
    const m = /^codex-autorunner serving (http:\/\/127\.0\.0\.1:\d+)\/\?token=([A-Za-z0-9_-]{43})$/m.exec(
      car.stdout(),
    );
    expect(m, car.stdout()).not.toBeNull();
    const token = m?.[2] ?? "";
    const file = join(r.dir, "server-token");
    expect(readFileSync(file, "utf8").trim()).toBe(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(car.stdout()).toContain("token: generated, kept in .codex-autorunner/server-token");
    expect(await state(url)).toBe(401);
    expect(await state(url, token)).toBe(200);
    expect((await stopped(car)).code).toBe(0);
    // The next start reuses it, so a phone that stored it keeps working.
    const again = await serve(r.root);
    expect(again.car.stdout()).toContain(`?token=${token}`);
    expect(again.car.stdout()).toContain("token: reused");
    expect(await state(again.url, token)).toBe(200);
  });

  it("a configured token is never printed", async () => {
    const secret = "cli-serve-secret-0123456789";
    const fromEnv = await serve(repo().root, [], { CAR_AUTH_TOKEN: secret });
    expect(fromEnv.car.stdout()).toMatch(/^codex-autorunner serving http:\/\/127\.0\.0\.1:\d+$/m);
    expect(fromEnv.car.stdout()).toContain("token: from CAR_AUTH_TOKEN");
    expect(await state(fromEnv.url, secret)).toBe(200);
    const fromConfig = await serve(repo({ server: { auth_token: secret } }).root);
    expect(fromConfig.car.stdout()).toContain(
      "token: from server.auth_token in .codex-autorunner/config.yml",
    );
    for (const { car } of [fromEnv, fromConfig]) {
      const result = await stopped(car);
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
  });

  it("--no-auth: no token, a warning, no token file", async () => {
    const r = repo();
    const { car, url } = await serve(r.root, ["--no-auth"]);
    expect(await state(url)).toBe(200);
    await waitFor(
      () => /^warning: --no-auth: no token; any program or user on this machine/m.test(car.stderr()),
      {
        what: "the --no-auth warning",
      },
    );
    expect(car.stdout()).not.toContain("token");
    expect(existsSync(join(r.dir, "server-token"))).toBe(false);
  });

  it("--no-auth off loopback is bad usage (exit 2) and never listens", async () => {
    const r = await runCar(["serve", "--port", "0", "--host", "0.0.0.0", "--no-auth"], {
      cwd: repo().root,
      env: { CAR_AUTH_TOKEN: undefined },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--no-auth is for loopback addresses only");
    expect(r.stdout).not.toContain("serving");
  });

  it("a short or blank CAR_AUTH_TOKEN is refused (exit 1), naming the variable", async () => {
    for (const bad of ["too-short", "                    "]) {
      const r = await runCar(["serve", "--port", "0"], { cwd: repo().root, env: { CAR_AUTH_TOKEN: bad } });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/CAR_AUTH_TOKEN: expected a token of at least 16 visible ASCII characters/);
      if (bad.trim()) expect(r.stderr).not.toContain(bad);
    }
  });

  it("a short server.auth_token in config.yml is a config error (exit 1)", async () => {
    const r = await runCar(["serve", "--port", "0"], {
      cwd: repo({ server: { auth_token: "123456789012345" } }).root,
      env: { CAR_AUTH_TOKEN: undefined },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("server.auth_token: expected a token of at least 16 visible ASCII characters");
    expect(r.stderr).toContain("found 15 characters");
    expect(r.stderr).not.toContain("123456789012345");
  });

  it("a port in use exits 1 (an error), not 2 (bad usage)", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as { port: number }).port;
    const r = await runCar(["serve", "--port", String(port), "--no-auth"], { cwd: repo().root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
  });
});

describe("serveBanner", () => {
  const fake = (over: Partial<RunningServer>): RunningServer =>
    ({
      url: "http://127.0.0.1:4173",
      boundUrl: "http://127.0.0.1:4173",
      host: "127.0.0.1",
      port: 4173,
      auth: { mode: "none" },
      ...over,
    }) as RunningServer;

  it("shows 0.0.0.0 as bound, with a warning and a local URL", () => {
    const b = serveBanner(
      fake({
        host: "0.0.0.0",
        boundUrl: "http://0.0.0.0:4173",
        auth: { mode: "configured", source: "CAR_AUTH_TOKEN" },
      }),
      "/r",
      false,
    );
    expect(b.out).toEqual([
      "codex-autorunner serving http://0.0.0.0:4173",
      "token: from CAR_AUTH_TOKEN",
      "on this machine: http://127.0.0.1:4173",
    ]);
    expect(b.err).toEqual([
      "warning: listening on 0.0.0.0: reachable from other machines on the network; only the token guards it",
    ]);
  });

  it("a generated token: the URL with it, where it is kept, and the .gitignore line when added", () => {
    const b = serveBanner(
      fake({
        auth: {
          mode: "generated",
          token: "abc_DEF-123",
          file: "/r/.codex-autorunner/server-token",
          created: true,
          ignoreAdded: true,
        },
      }),
      "/r",
      true,
    );
    expect(b.out).toEqual([
      "codex-autorunner serving http://127.0.0.1:4173/?token=abc_DEF-123",
      "token: generated, kept in .codex-autorunner/server-token (readable only by you); open the URL above once, the page remembers it",
      "added server-token to .codex-autorunner/.gitignore",
    ]);
    expect(b.err).toEqual([]);
  });
});
