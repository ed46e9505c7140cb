import { type ChildProcess, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { RUN_MARKER_ENV } from "../../proc/marker.js";
import { endRunProcesses } from "./end.js";
import { newRunMarker } from "./marker.js";
import { findRunProcesses, groupExists, isProcessAlive, readProcStat } from "./procfs.js";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.pid) for (const pid of [-c.pid, c.pid]) safeKill(pid);
});

function safeKill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone
  }
}

/** A shell in its own session (like one of codex's tool calls); its stdout's first lines are PIDs it prints. */
function shell(
  script: string,
  env: NodeJS.ProcessEnv = process.env,
): { child: ChildProcess; pids: Promise<number[]> } {
  const child = spawn("sh", ["-c", script], { env, detached: true, stdio: ["ignore", "pipe", "ignore"] });
  children.push(child);
  const pids = new Promise<number[]>((resolve) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready\n"))
        resolve(
          out
            .split("\n")
            .filter((l) => /^\d+$/.test(l))
            .map(Number),
        );
    });
  });
  return { child, pids };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("liveness ignores zombies", () => {
  it("a zombie is not alive, and a group whose only member is a zombie does not exist", async () => {
    // The background job gets its own group, exits, and is never reaped: its parent exec'd into sleep.
    const { pids } = shell(`setsid sh -c "exit 0" & echo $!; echo ready; exec sleep 30`);
    const [zombie] = (await pids) as [number];
    await until(() => readProcStat(zombie)?.state === "Z", "the job to become a zombie");
    expect(() => process.kill(-zombie, 0), "kill(-pgid, 0) alone would say alive").not.toThrow();
    expect(isProcessAlive(zombie)).toBe(false);
    expect(groupExists(zombie)).toBe(false);
  });

  it("a live process and its group are alive", async () => {
    const { child, pids } = shell("echo ready; exec sleep 30");
    await pids;
    expect(isProcessAlive(child.pid as number)).toBe(true);
    expect(groupExists(child.pid as number)).toBe(true);
    expect(isProcessAlive(-1)).toBe(false);
  });
});

describe("findRunProcesses", () => {
  it("finds the marked processes of a run in any session, and a child that scrubbed its environment", async () => {
    const marker = newRunMarker();
    const env = { ...process.env, [RUN_MARKER_ENV]: marker };
    // `env -i` clears the environment: that sleep is found only as a descendant of a marked process.
    const { child, pids } = shell(`env -i sleep 30 & echo $!; echo ready; exec sleep 31`, env);
    const [scrubbed] = (await pids) as [number];
    const found = findRunProcesses({ marker });
    expect(found).toContain(child.pid);
    expect(found).toContain(scrubbed);
    expect(findRunProcesses({ marker: newRunMarker() })).toEqual([]);
    expect(found).not.toContain(process.pid);
  });
});

describe("endRunProcesses", () => {
  it("SIGTERMs the run's processes and reports SIGTERM when that was enough", async () => {
    const marker = newRunMarker();
    const { child, pids } = shell("echo ready; exec sleep 30", { ...process.env, [RUN_MARKER_ENV]: marker });
    await pids;
    const r = await endRunProcesses({ marker }, { graceMs: 5_000 });
    expect(r).toEqual({ ended: [child.pid], signal: "SIGTERM", survivors: [] });
    expect(isProcessAlive(child.pid as number)).toBe(false);
  });

  it("SIGKILLs what ignores SIGTERM after the grace, and ends `also` along with the run", async () => {
    const marker = newRunMarker();
    const stubborn = spawn(
      process.execPath,
      ["-e", "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"],
      {
        env: { ...process.env, [RUN_MARKER_ENV]: marker },
        detached: true,
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    children.push(stubborn);
    await new Promise((r) => stubborn.stdout?.once("data", r));
    const other = shell("echo ready; exec sleep 30"); // unmarked: only reached through `also`
    await other.pids;
    const bystander = shell("echo ready; exec sleep 30");
    await bystander.pids;
    const r = await endRunProcesses({ marker }, { graceMs: 300, also: [other.child.pid as number] });
    expect(r.signal).toBe("SIGKILL");
    expect([...r.ended].sort()).toEqual([stubborn.pid, other.child.pid].sort());
    expect(r.survivors).toEqual([]);
    expect(isProcessAlive(stubborn.pid as number)).toBe(false);
    expect(isProcessAlive(bystander.child.pid as number), "an unmarked stranger is left alone").toBe(true);
  });

  it("does nothing when nothing of the run is alive", async () => {
    expect(await endRunProcesses({ marker: newRunMarker() }, { graceMs: 1_000 })).toEqual({
      ended: [],
      signal: null,
      survivors: [],
    });
  });
});
