import { spawnSync } from "node:child_process";
import { closeSync, openSync, readSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AGENTS, CLI_BIN } from "./paths.mjs";
import { run, runOk } from "./proc.mjs";
import { makeRepo } from "./repo.mjs";

export const FLOOD = join(AGENTS, "flood.mjs");

/** Newlines in a file, read in 4 MB chunks. */
export function countLines(path) {
  const fd = openSync(path, "r");
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  let n = 0;
  try {
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      for (let i = buf.indexOf(10, 0); i >= 0 && i < got; i = buf.indexOf(10, i + 1)) n++;
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

/** A repo whose agent is the flood stand-in (plain backend). */
export function floodRepo(root) {
  return makeRepo(root, { agent: [process.execPath, FLOOD] });
}

/** `seq 1 <lines>`: the fastest possible agent (plain backend: no --json, lines logged as they come). */
export const SEQ_AGENT = (lines) => ["seq", "1", String(lines)];

/** A repo whose agent is `seq 1 <lines>`. */
export function seqRepo(root, lines) {
  return makeRepo(root, { agent: SEQ_AGENT(lines) });
}

/**
 * The awk of the baselines: mawk when installed (the fastest awk, the reference), else awk.
 * Returns { bin, note } (note says when the fallback was taken).
 */
export function baselineAwk() {
  const found = spawnSync("sh", ["-c", "command -v mawk"], { encoding: "utf8" });
  if (found.status === 0 && found.stdout.trim()) return { bin: found.stdout.trim(), note: "" };
  return { bin: "awk", note: "mawk is not installed: the baseline uses awk (apt-get install mawk)" };
}

/**
 * One `car once --quiet` with the flood agent printing `lines` lines, on an emptied log. Returns
 * { ms, hwmMB } (VmHWM of the car process, sampled from /proc while it runs) after checking that the
 * log holds every line (+ start and end markers).
 */
export async function carOnce(repo, lines, timeoutMs) {
  rmSync(repo.log, { force: true });
  rmSync(repo.index, { force: true });
  const r = await run(process.execPath, [CLI_BIN, "once", "--quiet"], {
    cwd: repo.root,
    env: { ...process.env, FLOOD_LINES: String(lines) },
    timeoutMs,
    capture: false,
    sampleRss: true,
  });
  if (r.code !== 0) throw new Error(`car once exited ${r.code ?? r.signal}: ${r.stderr.slice(-1500)}`);
  const logged = countLines(repo.log);
  if (logged !== lines + 2) throw new Error(`car once logged ${logged} lines, expected ${lines} + 2 markers`);
  return { ms: r.ms, hwmMB: r.peak.hwmKB / 1024 };
}

/**
 * The baseline: the same agent (`agent`, an argv array; default the flood stand-in) piped into a
 * timestamp-prefixing awk (`awk`, default "awk") writing a file.
 */
export async function awkPipe(
  dir,
  lines,
  timeoutMs,
  { agent = [process.execPath, FLOOD], awk = "awk" } = {},
) {
  const out = join(dir, "awk.log");
  const program = `{ print strftime("[%Y-%m-%dT%H:%M:%SZ]", systime(), 1) " run=1 stdout: " $0 }`;
  const r = await runOk(
    "sh",
    [
      "-c",
      `out="$1"; awk="$2"; shift 2; "$@" </dev/null | "$awk" '${program}' > "$out"`,
      "sh",
      out,
      awk,
      ...agent,
    ],
    {
      env: { ...process.env, FLOOD_LINES: String(lines) },
      timeoutMs,
    },
  );
  const logged = countLines(out);
  rmSync(out, { force: true });
  if (logged !== lines) throw new Error(`awk baseline wrote ${logged} lines, expected ${lines}`);
  return r.ms;
}
