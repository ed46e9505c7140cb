import { spawn } from "node:child_process";
import { join } from "node:path";
import { CHILDREN } from "./paths.mjs";

/**
 * Start src/children/<name>.mjs and wait for its first stdout line (JSON). Returns { info, child,
 * stop() }; stop() closes its stdin (the child's cue to exit) and SIGKILLs it after 5 s.
 */
export function startChild(name, args = [], { timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(CHILDREN, `${name}.mjs`), ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not start within ${timeoutMs} ms: ${err.slice(-1000)}`));
    }, timeoutMs);
    child.stderr.on("data", (b) => {
      err += b;
    });
    const stop = () =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
        child.once("exit", () => {
          clearTimeout(kill);
          done();
        });
        child.stdin.end();
      });
    child.stdout.on("data", (b) => {
      out += b;
      const nl = out.indexOf("\n");
      if (nl >= 0 && timer) {
        clearTimeout(timer);
        try {
          resolve({ info: JSON.parse(out.slice(0, nl)), child, stop });
        } catch (e) {
          reject(e);
        }
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited ${code} before it was ready: ${err.slice(-1500)}`));
    });
  });
}

/** Run a child to completion; resolves its parsed last stdout line. */
export function runChild(name, args, { timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(CHILDREN, `${name}.mjs`), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (b) => {
      out += b;
    });
    child.stderr.on("data", (b) => {
      err += b;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${name} exited ${code ?? signal}: ${err.slice(-1500)}`));
      resolve(JSON.parse(out.trim().split("\n").at(-1)));
    });
  });
}
