import type { StateBody, TokenUsage } from "@codex-autorunner/core";
import type { Colors } from "./tty.js";
import { formatDuration } from "./tty.js";

function tokens(usage: TokenUsage | null): string | null {
  return usage ? usage.total_tokens.toLocaleString("en-US") : null;
}

/**
 * Human-readable `car status`: one `label: value` per line. `safe` is core's makeTerminalSafe, for
 * the texts that can quote the agent (the reason, the last run's error).
 */
export function formatStatus(s: StateBody, c: Colors, safe: (text: string) => string): string[] {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(11)} ${value}`);
  const statusText =
    s.status === "error" ? c.red(s.status) : s.status === "running" ? c.cyan(s.status) : c.green(s.status);
  row("repo", s.root);
  if (s.config_error) row("config", c.red("broken: see the error below"));
  const reason = s.reason ? c.dim(` (${safe(s.reason)})`) : "";
  row(
    "status",
    `${statusText}${reason}${s.stale ? c.yellow("  [runner died: `car resume` continues]") : ""}`,
  );
  const pid = s.runner_pid ?? s.lock.info?.pid ?? null;
  if (pid !== null) row("runner", `pid ${pid} ${s.lock.alive ? c.green("alive") : c.yellow("not alive")}`);
  else row("runner", "not running");
  const orphan = s.orphaned_agent;
  if (orphan) {
    const of = orphan.pid !== null ? ` (agent pid ${orphan.pid})` : "";
    row(
      "agent",
      c.red(`orphaned: ${orphan.processes} process(es) of the run still alive${of}; \`car kill\` ends them`),
    );
  }
  if (s.stop_requested) row("stop", c.yellow("requested: the loop ends after the current run"));
  if (s.waiting) row("waiting", `until ${s.waiting.until}: ${safe(s.waiting.message)}`);

  const r = s.last_run;
  if (r) {
    const end =
      r.exit_code !== null ? `exit ${r.exit_code}` : r.signal ? `signal ${r.signal}` : "in progress";
    const dur = r.duration_ms !== null ? `, ${formatDuration(r.duration_ms)}` : "";
    row("last run", `#${r.id} ${end}${r.outcome ? ` (${r.outcome})` : ""}${dur}`);
    row("started", r.started_at);
    if (r.finished_at) row("finished", r.finished_at);
    if (r.error) row("error", c.red(safe(r.error)));
  } else if (s.last_run_id !== null) {
    row("last run", `#${s.last_run_id} exit ${s.last_exit_code ?? "-"}`);
    if (s.last_run_started_at) row("started", s.last_run_started_at);
    if (s.last_run_finished_at) row("finished", s.last_run_finished_at);
  } else {
    row("last run", "none yet");
  }

  const v = s.last_verify;
  if (v) {
    const inARow = v.consecutive_failures > 1 ? `, ${v.consecutive_failures} in a row` : "";
    row(
      "verify",
      v.passed
        ? c.green(`passed (run ${v.run_id})`)
        : v.failed_command === null
          ? c.yellow(`not verified (run ${v.run_id} was interrupted during verification)`)
          : c.red(`FAILED ${safe(v.failed_command)} (run ${v.run_id}${inARow})`),
    );
  }

  if (s.done_count !== null && s.outstanding_count !== null) {
    row("TODO", `${s.done_count} done, ${s.outstanding_count} outstanding`);
  } else {
    row("TODO", c.red(s.todo_error ?? "unreadable"));
  }
  const last = tokens(s.tokens.last_run);
  const total = tokens(s.tokens.total);
  if (last !== null || total !== null) row("tokens", `last run ${last ?? "-"}, total ${total ?? "-"}`);
  return lines;
}
