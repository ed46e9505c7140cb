import type { Colors } from "./tty.js";
import { formatDuration } from "./tty.js";

type StatusReport = Awaited<ReturnType<typeof import("@codex-autorunner/core/node").getStatus>>;

function tokens(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return v.toLocaleString("en-US");
  if (typeof v === "object" && "total_tokens" in v && typeof v.total_tokens === "number") {
    return v.total_tokens.toLocaleString("en-US");
  }
  return null;
}

/** Human-readable `car status`: one `label: value` per line. */
export function formatStatus(s: StatusReport, c: Colors): string[] {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(11)} ${value}`);
  const statusText =
    s.status === "error" ? c.red(s.status) : s.status === "running" ? c.cyan(s.status) : c.green(s.status);
  row("repo", s.root);
  const reason = s.reason ? c.dim(` (${s.reason})`) : "";
  row(
    "status",
    `${statusText}${reason}${s.stale ? c.yellow("  [runner died: `car resume` continues]") : ""}`,
  );
  const pid = s.runner_pid ?? s.lock.info?.pid ?? null;
  if (pid !== null) row("runner", `pid ${pid} ${s.lock.alive ? c.green("alive") : c.yellow("not alive")}`);
  else row("runner", "not running");
  if (s.stop_requested) row("stop", c.yellow("requested: the loop ends after the current run"));
  if (s.state.waiting) row("waiting", `until ${s.state.waiting.until}: ${s.state.waiting.message}`);

  const r = s.last_run;
  if (r) {
    const end =
      r.exit_code !== null ? `exit ${r.exit_code}` : r.signal ? `signal ${r.signal}` : "in progress";
    const dur = r.duration_ms !== null ? `, ${formatDuration(r.duration_ms)}` : "";
    row("last run", `#${r.id} ${end}${r.outcome ? ` (${r.outcome})` : ""}${dur}`);
    row("started", r.started_at);
    if (r.finished_at) row("finished", r.finished_at);
    if (r.error) row("error", c.red(r.error));
  } else if (s.state.last_run_id !== null) {
    row("last run", `#${s.state.last_run_id} exit ${s.state.last_exit_code ?? "-"}`);
    if (s.state.last_run_started_at) row("started", s.state.last_run_started_at);
    if (s.state.last_run_finished_at) row("finished", s.state.last_run_finished_at);
  } else {
    row("last run", "none yet");
  }

  if (s.todo) {
    row("TODO", `${s.todo.done} done, ${s.todo.outstanding} outstanding`);
  } else {
    row("TODO", c.red(s.todo_error ?? "unreadable"));
  }
  const last = tokens(s.tokens?.last_run);
  const total = tokens(s.tokens?.total);
  if (last !== null || total !== null) row("tokens", `last run ${last ?? "-"}, total ${total ?? "-"}`);
  return lines;
}
