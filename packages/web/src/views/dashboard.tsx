import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { agentLimitTexts, currentAgent, spendText } from "../agents/view.js";
import { describeError } from "../api/errors.js";
import { api } from "../api/instance.js";
import type { StateResponse } from "../api/types.js";
import { verifyVerdict } from "../changes/summary.js";
import { formatDateTime } from "../format.js";
import { refreshState, useLive } from "../live.js";
import { href } from "../router.js";
import { LimitBanner, RunnerNotes } from "../steer/notices.js";
import { SteerBox } from "../steer/steer-box.js";
import { pendingQuestion } from "../steer/waiting.js";
import { useAutoFocus } from "../ui/autofocus.js";
import { Banner } from "../ui/banner.js";
import { LogLines } from "../ui/log-lines.js";
import { orphanedNotice, StatusPill } from "../ui/status.js";

type Action = "start" | "once" | "stop" | "resume" | "kill";

const LATEST_LINES = 12;

export function DashboardView() {
  const live = useLive();
  const s = live.state;
  const [busy, setBusy] = useState<Action | null>(null);
  const [message, setMessage] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  const [confirmKill, setConfirmKill] = useState(false);

  const running = s?.running ?? false;
  // A hub holds this repo's start until a run slot frees up: Stop cancels it, nothing else starts.
  const queued = !running && !!s?.queued;
  // Without a state (401, server down) no control can be judged safe.
  const blocked = !s || busy !== null;
  const done = s?.done_count ?? 0;
  const total = done + (s?.outstanding_count ?? 0);
  const pct = total === 0 ? 0 : Math.round((done / total) * 100);
  const next = s?.todo_items.find((t) => !t.done);
  const pid = s?.runner_pid ?? s?.lock.info?.pid ?? null;
  const orphans = orphanedNotice(s);
  const question = pendingQuestion(s);

  async function act(action: Action) {
    setBusy(action);
    setMessage(null);
    try {
      if (action === "start") {
        setMessage({ tone: "ok", text: startedText("Runner started", await api.start(false)) });
      } else if (action === "once") {
        setMessage({ tone: "ok", text: startedText("Single run started", await api.start(true)) });
      } else if (action === "resume") {
        setMessage({ tone: "ok", text: startedText("Runner resumed", await api.resume(false)) });
      } else if (action === "stop") {
        const r = await api.stop();
        setMessage({
          tone: "ok",
          text: r.queue_cancelled
            ? "Queued start cancelled."
            : "Stop requested: the runner finishes the current run, then exits.",
        });
      } else {
        await api.kill();
        setMessage({ tone: "ok", text: "Runner and agent killed." });
      }
    } catch (err) {
      setMessage({ tone: "error", text: describeError(err) });
    } finally {
      setBusy(null);
      setConfirmKill(false);
      refreshState(0);
    }
  }

  const latest = live.lines.slice(-LATEST_LINES);

  return (
    <section class="view" aria-labelledby="dash-title">
      <h1 id="dash-title" class="sr-only">
        Dashboard
      </h1>
      {s?.status === "error" && !running && (
        <Banner tone="error" testId="run-error">
          <strong>Last run failed.</strong>{" "}
          {s.reason
            ? sentence(s.reason)
            : s.last_exit_code !== null
              ? `The agent exited with code ${s.last_exit_code}.`
              : "See the log for details."}{" "}
          <a href={href("logs", [], s.last_run_id !== null ? { run: s.last_run_id } : {})}>Open its log</a>
        </Banner>
      )}
      {orphans && (
        <Banner tone="error" testId="orphaned-agent">
          <strong>{sentence(orphans)}</strong> The runner died, but its run goes on and may still change the
          repo and call the model. Kill ends it.
        </Banner>
      )}
      {running && s?.stop_requested && (
        <Banner tone="info" testId="stop-requested">
          Stop requested: the runner exits after the current run.
        </Banner>
      )}
      {queued && s?.queued && (
        <Banner tone="info" testId="queued">
          <strong>Queued.</strong> The hub starts this repo when one of its run slots frees up (queued at{" "}
          {formatDateTime(s.queued.since)}). Stop cancels it.
        </Banner>
      )}
      {s && <LimitBanner state={s} />}
      {question !== null && <SteerBox question={question} />}

      <div class="grid">
        <div class="card">
          <div class="card-head">
            <h2>Runner</h2>
            <StatusPill state={s} large />
          </div>
          <dl class="facts">
            <div>
              <dt>Run</dt>
              <dd data-testid="run-number">{s?.last_run_id != null ? `#${s.last_run_id}` : "—"}</dd>
            </div>
            <div>
              <dt>Exit code</dt>
              <dd data-testid="exit-code" class={s?.last_exit_code ? "text-error" : undefined}>
                {s?.last_exit_code ?? "—"}
              </dd>
            </div>
            <div>
              <dt>Started</dt>
              <dd>
                <time dateTime={s?.last_run_started_at ?? undefined}>
                  {formatDateTime(s?.last_run_started_at)}
                </time>
              </dd>
            </div>
            <div>
              <dt>Finished</dt>
              <dd>
                <time dateTime={s?.last_run_finished_at ?? undefined}>
                  {running &&
                  s?.last_run_started_at &&
                  (!s.last_run_finished_at || s.last_run_finished_at < s.last_run_started_at)
                    ? "running…"
                    : formatDateTime(s?.last_run_finished_at)}
                </time>
              </dd>
            </div>
            <div>
              <dt>Verification</dt>
              <dd data-testid="last-verify">
                {s?.last_verify ? (
                  <a href={href("runs", [String(s.last_verify.run_id)])}>
                    <VerdictTag verify={s.last_verify} /> #{s.last_verify.run_id}
                    {s.last_verify.consecutive_failures > 1
                      ? ` (${s.last_verify.consecutive_failures} in a row)`
                      : ""}
                  </a>
                ) : (
                  "—"
                )}
              </dd>
            </div>
            {s && <AgentFacts state={s} />}
            <div>
              <dt>Runner PID</dt>
              <dd data-testid="runner-pid">
                {pid ?? "—"}{" "}
                {pid !== null && (
                  <span class={running ? "tag tag-ok" : "tag"}>{running ? "alive" : "not running"}</span>
                )}
              </dd>
            </div>
          </dl>

          <fieldset class="actions">
            <legend class="sr-only">Runner controls</legend>
            <button
              type="button"
              class="btn btn-primary"
              disabled={running || queued || blocked}
              onClick={() => act("start")}
            >
              {busy === "start" ? "Starting…" : "Start"}
            </button>
            <button
              type="button"
              class="btn"
              disabled={running || queued || blocked}
              onClick={() => act("once")}
            >
              {busy === "once" ? "Starting…" : "Run once"}
            </button>
            <button
              type="button"
              class="btn"
              disabled={!(running || queued) || blocked}
              onClick={() => act("stop")}
            >
              {busy === "stop" ? "Stopping…" : "Stop"}
            </button>
            <button
              type="button"
              class="btn"
              disabled={running || queued || blocked}
              onClick={() => act("resume")}
              title="Clear a stale lock and start again"
            >
              {busy === "resume" ? "Resuming…" : "Resume"}
            </button>
            <button
              type="button"
              class="btn btn-danger"
              disabled={!(running || orphans) || blocked}
              onClick={() => setConfirmKill(true)}
              aria-expanded={confirmKill}
            >
              Kill
            </button>
          </fieldset>
          {s && <RunnerNotes state={s} />}
          {confirmKill && (
            <KillConfirm
              busy={busy === "kill"}
              onKill={() => act("kill")}
              onCancel={() => setConfirmKill(false)}
            />
          )}
          <div aria-live="polite">
            {message && (
              <p
                class={message.tone === "error" ? "msg text-error" : "msg text-ok"}
                data-testid="action-message"
              >
                {message.text}
              </p>
            )}
          </div>
        </div>

        <div class="card">
          <div class="card-head">
            <h2>TODO</h2>
            <a href={href("docs", ["todo"])}>Edit</a>
          </div>
          <div
            class="bar"
            role="progressbar"
            aria-label="TODO items done"
            aria-valuemin={0}
            aria-valuemax={total}
            aria-valuenow={done}
            data-testid="todo-bar"
          >
            <div class="bar-fill" style={{ width: `${pct}%` }} />
          </div>
          <p class="muted" data-testid="todo-count">
            {s ? `${done} of ${total} done` : "—"}
            {total > 0 ? ` (${pct}%)` : ""}
          </p>
          {next ? (
            <p class="next">
              <span class="muted">Next: </span>
              {next.text}
            </p>
          ) : (
            s && total > 0 && <p class="text-ok">All items done.</p>
          )}
        </div>
      </div>

      {question === null && <SteerBox question={null} />}

      <div class="card">
        <div class="card-head">
          <h2>Latest output</h2>
          <a href={href("logs")}>All logs</a>
        </div>
        {latest.length === 0 ? (
          <p class="muted">No log lines yet.</p>
        ) : (
          <LogLines lines={latest} testId="latest-lines" compact />
        )}
      </div>
    </section>
  );
}

/** Inline confirmation: focus starts on "Kill now"; Escape or Cancel backs out. */
function KillConfirm({
  busy,
  onKill,
  onCancel,
}: {
  busy: boolean;
  onKill: () => void;
  onCancel: () => void;
}) {
  const first = useAutoFocus<HTMLButtonElement>();
  return (
    <div
      class="confirm"
      role="alertdialog"
      aria-labelledby="kill-q"
      data-testid="kill-confirm"
      onKeyDown={(e) => e.key === "Escape" && onCancel()}
    >
      <p id="kill-q">
        Kill the runner and its agent now? The current run is interrupted (SIGTERM, then SIGKILL).
      </p>
      <div class="row">
        <button type="button" class="btn btn-danger" onClick={onKill} ref={first} disabled={busy}>
          {busy ? "Killing…" : "Kill now"}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** "Runner started (PID 42).", or where a hub queued the start behind its concurrency cap. */
function startedText(what: string, r: { pid: number | null; queued: { position: number } | null }): string {
  if (r.queued) return `Queued: #${r.queued.position} in the hub's queue, starts when a run slot frees up.`;
  return `${what}${r.pid ? ` (PID ${r.pid})` : ""}.`;
}

/** "agent exited 3" → "Agent exited 3." for a banner. */
function sentence(text: string): string {
  const t = text.trim();
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".");
}

/** Clipped to one line with an ellipsis (the full text goes in a title). */
const ONE_LINE = { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" } as const;

/** Who runs (the fallback noted), the agents' usage limits, and tokens and cost of the last run and all runs. */
function AgentFacts({ state }: { state: StateResponse }) {
  const a = currentAgent(state);
  const limits = agentLimitTexts(state, Date.now());
  const last = spendText(state.tokens.last_run, state.cost_usd.last_run);
  const total = spendText(state.tokens.total, state.cost_usd.total);
  return (
    <>
      <div>
        <dt>{a.inFlight ? "Agent" : "Next agent"}</dt>
        <dd data-testid="agent">
          {a.agent}{" "}
          {a.fallbackFrom && (
            <span class="tag tag-warn" title={`${a.fallbackFrom} sits out a usage limit`}>
              fallback
            </span>
          )}
          {limits.map((l) => (
            <Fragment key={l.text}>
              <div class="text-warn small" data-testid="agent-limit" title={l.message}>
                {l.text}
              </div>
              {/* Visible on a phone too (no hover there): one line, the whole message in the title. */}
              {l.message && (
                <div class="muted small" data-testid="agent-limit-message" title={l.message} style={ONE_LINE}>
                  {l.message}
                </div>
              )}
            </Fragment>
          ))}
        </dd>
      </div>
      {(last || total) && (
        <div>
          <dt>Usage</dt>
          <dd data-testid="usage">
            {last && <div>last run: {last}</div>}
            {total && <div>total: {total}</div>}
          </dd>
        </div>
      )}
    </>
  );
}

/** The last verification's verdict, worded and coloured as on the runs list. */
function VerdictTag({ verify }: { verify: Parameters<typeof verifyVerdict>[0] }) {
  const v = verifyVerdict(verify);
  return <span class={`tag tag-${v.tone}`}>{v.text}</span>;
}
