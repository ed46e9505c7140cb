import { getStatus } from "@codex-autorunner/core/node";
import { Hono } from "hono";
import type { AppContext } from "../context.js";

type StatusReport = Awaited<ReturnType<typeof getStatus>>;

/**
 * `GET /api/state` body (also the data of SSE `event: state`): the state.json fields, then what the
 * UI needs at a glance. `status`/`running` are derived from the lock's live PID, so a crashed runner
 * never shows as running.
 */
export function stateBody(report: StatusReport) {
  const todo = report.todo;
  return {
    ...report.state,
    status: report.status,
    running: report.running,
    stale: report.stale,
    reason: report.reason,
    runner_pid: report.runner_pid,
    lock: report.lock,
    stop_requested: report.stop_requested,
    outstanding_count: todo ? todo.outstanding : null,
    done_count: todo ? todo.done : null,
    todo_items: todo ? todo.items.map((item) => ({ text: item.text, done: item.done, line: item.line })) : [],
    todo_error: report.todo_error,
    last_run: report.last_run,
    tokens: report.tokens,
  };
}

export type StateBody = ReturnType<typeof stateBody>;

export async function readStateBody(root: string): Promise<StateBody> {
  return stateBody(await getStatus(root));
}

export function stateRoutes(ctx: AppContext): Hono {
  return new Hono().get("/api/state", async (c) => {
    c.header("Cache-Control", "no-store");
    return c.json(await readStateBody(ctx.root));
  });
}
