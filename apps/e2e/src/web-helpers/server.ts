/** The real built `car serve` as a child process on 127.0.0.1 with a free port. */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const WORKSPACE = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
export const CAR_BIN = join(WORKSPACE, "packages", "cli", "dist", "bin.js");
export const WEB_INDEX = join(WORKSPACE, "packages", "web", "dist", "ui", "index.html");

export interface CarServer {
  url: string;
  /** The token `car serve` generated and printed (auth "default" with none configured), else null. */
  token: string | null;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (for restarting a server on the same address). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/**
 * `auth`: "no-auth" (`--no-auth`, the default unless `env` sets CAR_AUTH_TOKEN, so UI tests need no
 * token) or "default" (what `car serve` does on its own: the configured token, else a generated one).
 */
export async function startCarServe(
  root: string,
  /** Laid over process.env; an undefined value removes the key (as the testkit's agent envs do). */
  env: Record<string, string | undefined> = {},
  port = 0,
  auth: "no-auth" | "default" = "CAR_AUTH_TOKEN" in env ? "default" : "no-auth",
): Promise<CarServer> {
  for (const [file, how] of [
    [CAR_BIN, "pnpm --filter codex-autorunner build"],
    [WEB_INDEX, "pnpm --filter @codex-autorunner/web build"],
  ] as const) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`${how}\` first`);
  }
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.FORCE_COLOR;
  if (!("CAR_AUTH_TOKEN" in env)) delete childEnv.CAR_AUTH_TOKEN;
  const child = spawn(
    process.execPath,
    [
      CAR_BIN,
      "serve",
      "--repo",
      root,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      ...(auth === "no-auth" ? ["--no-auth"] : []),
    ],
    {
      cwd: root,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 60_000;
  let url: string | null = null;
  while (!url) {
    const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (m) url = m[1]!;
    else if (child.exitCode !== null) throw new Error(`car serve exited with ${child.exitCode}:\n${out}`);
    else if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`car serve printed no URL within 60 s:\n${out}`);
    } else await new Promise((r) => setTimeout(r, 50));
  }
  // Ready when /health answers.
  for (;;) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`car serve at ${url} never answered /health:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    token: /serving http:\/\/\S+\?token=([A-Za-z0-9_-]+)/.exec(out)?.[1] ?? null,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Stop a runner the test left going (so no process outlives the test). */
export async function killRunner(url: string, token?: string): Promise<void> {
  await fetch(`${url}/api/run/kill`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: "{}",
  }).catch(() => {});
}
