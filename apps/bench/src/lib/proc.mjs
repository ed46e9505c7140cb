import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * Run a command to completion; resolves { code, signal, ms, stdout, stderr, peak }. Bounded by
 * `timeoutMs` (SIGKILL, then rejects). With `sampleRss`, /proc/<pid>/status is read every
 * `sampleMs` and `peak` = { hwmKB, rssKB } is the last VmHWM seen (the kernel's high-water mark of
 * the process's RSS, so the last reading before exit is the peak) and the largest VmRSS.
 */
export function run(
  cmd,
  args,
  { cwd, env, timeoutMs = 120_000, stdin = "ignore", capture = true, sampleRss = false, sampleMs = 10 } = {},
) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      cwd,
      env: env ?? process.env,
      stdio: [stdin, capture ? "pipe" : "ignore", "pipe"],
    });
    const out = [];
    const err = [];
    child.stdout?.on("data", (b) => out.push(b));
    child.stderr.on("data", (b) => err.push(b));
    const peak = { hwmKB: 0, rssKB: 0 };
    let sampler = null;
    if (sampleRss) {
      const sample = () => {
        try {
          const { rss, hwm } = memKB(child.pid);
          peak.hwmKB = Math.max(peak.hwmKB, hwm);
          peak.rssKB = Math.max(peak.rssKB, rss);
        } catch {
          // exited between samples (a zombie's status has no VmRSS/VmHWM lines)
        }
      };
      sample();
      sampler = setInterval(sample, sampleMs);
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      if (sampler) clearInterval(sampler);
      reject(e);
    });
    child.on("close", (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      if (sampler) clearInterval(sampler);
      resolve({
        code,
        signal,
        ms,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        peak,
      });
    });
  });
}

/** Like run() but throws (with stderr) on a non-zero exit. */
export async function runOk(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0)
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.code ?? r.signal}: ${r.stderr.slice(-2000)}`);
  return r;
}

/** CPU time (user + system) of a process so far, in ms, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A live process's resident set now (VmRSS) and its peak so far (VmHWM), in kB. */
export function memKB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return { rss: Number(/VmRSS:\s+(\d+)/.exec(status)[1]), hwm: Number(/VmHWM:\s+(\d+)/.exec(status)[1]) };
}

/**
 * Open file descriptors of a process, and the inotify watches behind them (fs.watch shares one
 * inotify descriptor per process; /proc/<pid>/fdinfo lists one `inotify wd:` line per watch).
 */
export function fdCount(pid) {
  let watches = 0;
  const fds = readdirSync(`/proc/${pid}/fd`);
  for (const fd of fds) {
    try {
      watches += readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8").split("\ninotify wd:").length - 1;
    } catch {
      // closed meanwhile
    }
  }
  return { fds: fds.length, watches };
}
