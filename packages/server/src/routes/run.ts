import { CarError } from "@codex-autorunner/core";
import { getStatus, killRunner, requestStop, startDetachedRunner } from "@codex-autorunner/core/node";
import { Hono } from "hono";
import { z } from "zod";
import type { AppContext } from "../context.js";
import { KeyedMutex } from "../mutex.js";
import { jsonBody } from "../validation.js";

const startSchema = z.object({ once: z.boolean({ error: "expected true or false" }).optional() });

/**
 * Run control. The loop never runs inside the server: `start` launches core's detached runner (its
 * own process group, the same code `car run` uses), so restarting the server neither kills nor
 * orphans a run. Starts are serialised so two clicks cannot spawn two runners that race for the lock.
 */
export function runRoutes(ctx: AppContext): Hono {
  const control = new KeyedMutex();

  const start = (resume: boolean) => async (c: import("hono").Context) => {
    const { once = false } = await jsonBody(c, startSchema, { emptyAsObject: true });
    const result = await control.run("start", async () => {
      const status = await getStatus(ctx.root);
      if (status.running) {
        const pid = status.runner_pid ?? status.lock.info?.pid;
        throw new CarError("LOCK_HELD", `A runner is already running (pid ${pid})`, {
          pid: pid ?? undefined,
        });
      }
      return startDetachedRunner(ctx.root, { once });
    });
    return c.json({ running: true, once, pid: result.pid, ...(resume ? { resumed: true } : {}) }, 202);
  };

  return new Hono()
    .post("/api/run/start", start(false))
    .post("/api/run/resume", start(true))
    .post("/api/run/stop", async (c) => {
      const status = await getStatus(ctx.root);
      if (!status.running) throw new CarError("NOT_RUNNING", "No runner is running: nothing to stop");
      await requestStop(ctx.root);
      return c.json({ stop_requested: true, runner_pid: status.runner_pid });
    })
    .post("/api/run/kill", async (c) => {
      const graceMs = (await ctx.getConfig()).runner.kill_grace_seconds * 1000;
      const result = await control.run("start", () => killRunner(ctx.root, { graceMs }));
      return c.json({ killed: true, pid: result.pid, agent_pid: result.agentPid, signal: result.signal });
    });
}
