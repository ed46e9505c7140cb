import type { StateBody, TokenUsage } from "@codex-autorunner/core";
import { formatUsd } from "@codex-autorunner/core/node/lite";
import type { Colors } from "./tty.js";
import { clockTime, formatDuration, timeUntil } from "./tty.js";

function statusColor(status: StateBody["status"], c: Colors): (s: string) => string {
  switch (status) {
    case "error":
      return c.red;
    case "running":
      return c.cyan;
    case "waiting":
    case "queued":
      return c.yellow;
    case "waiting_input":
      // The one status that needs the user: stands out.
      return (t) => c.bold(c.yellow(t));
    default:
      return c.green;
  }
}

/** `at 14:05:09` for today, the full ISO time otherwise (a wait can last a day). */
function when(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toDateString() === new Date(now).toDateString() ? clockTime(iso) : iso;
}

/** The rows about a wait (usage limit, the agent's question), a quiet run and a failed notification. */
function waitingRows(
  s: StateBody,
  c: Colors,
  safe: (text: string) => string,
  now: number,
): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  const w = s.waiting;
  const due = w !== null && Date.parse(w.until) > now;
  // A dead runner's wait that has run out is nothing `car resume` would wait for.
  if (w?.reason === "rate_limit" && (s.running || due)) {
    const left = timeUntil(w.until, now);
    const text = !s.running
      ? `rate limit until ${when(w.until, now)}: \`car resume\` waits out the rest`
      : due && left !== null
        ? `rate limit, resumes in ${left} (at ${when(w.until, now)})`
        : `rate limit, resuming now (was due at ${when(w.until, now)})`;
    rows.push(["waiting", c.yellow(text)]);
    if (w.message) rows.push(["limit", safe(w.message)]);
  } else if (w?.reason === "needs_input") {
    rows.push(["question", c.bold(safe(w.message ?? "(the agent gave no question)"))]);
    const left = timeUntil(w.until, now);
    const then = !s.running
      ? ", then `car resume`"
      : left !== null
        ? ` (the loop gives up in ${left}, at ${when(w.until, now)})`
        : "";
    rows.push(["answer", `car steer "<your answer>"${then}`]);
  }
  if (s.queued && !s.running) {
    const mode = s.queued.once ? " (one run)" : "";
    rows.push([
      "queued",
      c.yellow(
        `since ${when(s.queued.since, now)}${mode}: the hub starts it when a slot is free; \`car stop\` cancels`,
      ),
    ]);
  }
  const q = s.quiet;
  if (q) {
    // `quiet` is not checked when state.json is read (the agent can write that file): all made safe.
    const since = Date.parse(q.since);
    const quietFor = Number.isNaN(since) ? safe(String(q.since)) : formatDuration(Math.max(0, now - since));
    const cmd = q.last_command !== null ? `; last command: ${safe(q.last_command)}` : "";
    rows.push(["quiet", c.yellow(`run ${safe(String(q.run_id))} quiet for ${quietFor}${cmd}`)]);
  }
  const n = s.notify_error;
  if (n) {
    rows.push(["notify", c.red(`${safe(n.target)} (${safe(n.event)}): ${safe(n.error)} at ${safe(n.at)}`)]);
  }
  return rows;
}

function tokens(usage: TokenUsage | null): string | null {
  return usage ? usage.total_tokens.toLocaleString("en-US") : null;
}

/** US dollars as agents report them: cents hide what a short run costs, so 4 decimals under $1. */
function usd(amount: number | null): string | null {
  return amount === null ? null : formatUsd(amount);
}

/** The agents' rows: each usage limit in force, and the next run's agent when it is not runner.agent. */
function agentRows(
  s: StateBody,
  c: Colors,
  safe: (text: string) => string,
  now: number,
): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  const a = s.agents;
  for (const l of a.limits) {
    const left = timeUntil(l.until, now);
    // state.json is only a file: its agent_limits are shown made safe.
    const text = `${safe(l.agent)} until ${when(safe(l.until), now)}${left ? ` (in ${left})` : ""}`;
    rows.push(["limited", c.yellow(text)]);
  }
  if (a.next !== a.primary) {
    rows.push(["next run", c.yellow(`${a.next} (fallback while ${a.primary} is usage-limited)`)]);
  }
  return rows;
}

/**
 * Human-readable `car status`: one `label: value` per line. `safe` is core's makeTerminalSafe, for
 * the texts that can quote the agent (the reason, the last run's error).
 */
export function formatStatus(
  s: StateBody,
  c: Colors,
  safe: (text: string) => string,
  now: number = Date.now(),
): string[] {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(11)} ${value}`);
  const statusText = statusColor(s.status, c)(s.status);
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
  for (const [label, value] of waitingRows(s, c, safe, now)) row(label, value);
  for (const [label, value] of agentRows(s, c, safe, now)) row(label, value);

  const r = s.last_run;
  if (r) {
    const end =
      r.exit_code !== null ? `exit ${r.exit_code}` : r.signal ? `signal ${r.signal}` : "in progress";
    const dur = r.duration_ms !== null ? `, ${formatDuration(r.duration_ms)}` : "";
    row("last run", `#${r.id} ${end}${r.outcome ? ` (${r.outcome})` : ""}${dur}`);
    row("agent", `${r.agent}${r.fallback_from ? c.yellow(` (fallback from ${r.fallback_from})`) : ""}`);
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
  const lastCost = usd(s.cost_usd.last_run);
  const totalCost = usd(s.cost_usd.total);
  if (lastCost !== null || totalCost !== null)
    row("cost", `last run ${lastCost ?? "-"}, total ${totalCost ?? "-"}`);
  return lines;
}
