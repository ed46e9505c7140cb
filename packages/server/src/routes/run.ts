import { CarError, HTTP_CONTRACT, ROUTES } from "@codex-autorunner/core";
import { getStatus, killRunner, requestStop, startDetachedRunner } from "@codex-autorunner/core/node";
import { type Context, Hono } from "hono";
import { type AppContext, RUNNER_KEY } from "../context.js";
import { jsonBody, reply } from "../validation.js";

/**
 * Run control. The loop never runs inside the server: `start` launches core's detached runner (its
 * own process group, the same code `car run` uses), so restarting the server neither kills nor
 * orphans a run. Starts are serialised (with kills and rollbacks: ctx.control) so two clicks cannot spawn
 * two runners that race for the lock.
 */
export function runRoutes(ctx: AppContext): Hono {
  /**
   * Starts a detached runner unless one is alive (409 LOCK_HELD); the runner replaces a stale lock.
   * Under a hub the hub decides: started now, or queued behind its concurrency cap.
   */
  const launch = async (c: Context) => {
    const { once = false } = await jsonBody(c, HTTP_CONTRACT.runStart.body, { emptyAsObject: true });
    const hub = ctx.hub;
    if (hub) {
      const result = await ctx.control.run(RUNNER_KEY, () => hub.start(once));
      return { running: result.running, once, pid: result.pid, queued: result.queued };
    }
    const result = await ctx.control.run(RUNNER_KEY, async () => {
      const status = await getStatus(ctx.root);
      if (status.running) {
        const pid = status.runner_pid ?? status.lock.info?.pid;
        throw new CarError("LOCK_HELD", `A runner is already running (pid ${pid})`, {
          pid: pid ?? undefined,
        });
      }
      return startDetachedRunner(ctx.root, { once });
    });
    return { running: true, once, pid: result.pid, queued: null };
  };

  return new Hono()
    .post(ROUTES.runStart.path, async (c) => reply(c, "runStart", await launch(c)))
    .post(ROUTES.runResume.path, async (c) => reply(c, "runResume", { ...(await launch(c)), resumed: true }))
    .post(ROUTES.runStop.path, async (c) => {
      const status = await getStatus(ctx.root);
      const hub = ctx.hub;
      // Through the hub, so its list shows the cancelled start at once. When the hub launched it
      // meanwhile, that runner is stopped below instead.
      if (hub && !status.running && (await hub.cancelQueued()))
        return reply(c, "runStop", { stop_requested: false, runner_pid: null, queue_cancelled: true });
      // The stop file for a live runner; a start a hub queued is cancelled (NOT_RUNNING with neither).
      const result = await requestStop(ctx.root);
      return reply(c, "runStop", {
        stop_requested: result.pid !== null,
        runner_pid: result.pid === null ? null : (status.runner_pid ?? result.pid),
        queue_cancelled: result.queueCancelled,
      });
    })
    .post(ROUTES.runKill.path, async (c) => {
      const graceMs = (await ctx.getConfig()).runner.kill_grace_seconds * 1000;
      const result = await ctx.control.run(RUNNER_KEY, () => killRunner(ctx.root, { graceMs }));
      return reply(c, "runKill", {
        killed: true,
        pid: result.pid,
        agent_pid: result.agentPid,
        signal: result.signal,
      });
    });
}
