import type { RouteResponse } from "@codex-autorunner/core";
import { useState } from "preact/hooks";
import { ApiError, describeError } from "../api/errors.js";
import { api } from "../api/instance.js";
import { useAutoFocus } from "../ui/autofocus.js";
import { Banner } from "../ui/banner.js";
import { plural, shortSha } from "./summary.js";

type Plan = RouteResponse<"runRollback">;

/**
 * "Roll back to before this run": asks the server for a dry run first and lists what it would change,
 * then rolls back on confirmation and shows the command that returns to the state before it.
 */
export function RollbackPanel({
  runId,
  running,
  onDone,
}: {
  runId: number;
  /** A runner is alive: the server would refuse (409), so the button waits. */
  running: boolean;
  onDone: () => void;
}) {
  const [busy, setBusy] = useState<"plan" | "roll" | null>(null);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [done, setDone] = useState<Plan | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function ask(dryRun: boolean) {
    setBusy(dryRun ? "plan" : "roll");
    setError(null);
    try {
      const result = await api.rollback(runId, dryRun);
      if (dryRun) setPlan(result);
      else {
        setPlan(null);
        setDone(result);
        onDone();
      }
    } catch (err) {
      // 409: a runner (or the last run's agent) is alive; the server's detail names its PID and the way out.
      setError(err instanceof ApiError && err.conflict ? `Refused: ${err.detail}` : describeError(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div data-testid="rollback">
      <p class="muted small">
        Puts the work tree back as it was before run #{runId}, undoing it and every later run. Your own
        changes made before it are kept; ignored files are not touched. The current state is kept first, so
        this can be undone.
      </p>
      <button
        type="button"
        class="btn btn-danger"
        disabled={running || busy !== null}
        aria-describedby={running ? "rollback-running" : undefined}
        onClick={() => {
          setDone(null);
          void ask(true);
        }}
      >
        {busy === "plan" ? "Checking…" : "Roll back to before this run"}
      </button>
      {running && (
        <p id="rollback-running" class="small text-warn" data-testid="rollback-running">
          A runner is running: rollback is possible once it has stopped.
        </p>
      )}
      {error && (
        <Banner tone="error" testId="rollback-error">
          {error}
        </Banner>
      )}
      {plan && (
        <RollbackConfirm
          plan={plan}
          busy={busy === "roll"}
          running={running}
          onConfirm={() => void ask(false)}
          onCancel={() => setPlan(null)}
        />
      )}
      {done?.undo && (
        <Banner tone="ok" testId="rollback-done">
          <p>
            Rolled back to before run #{done.run_id} ({plural(done.runs_undone.length, "run")} undone). To
            return to the state before the rollback:
          </p>
          <code class="cmd" data-testid="undo-command">
            {done.undo.command}
          </code>
        </Banner>
      )}
    </div>
  );
}

function RollbackConfirm({
  plan,
  busy,
  running,
  onConfirm,
  onCancel,
}: {
  plan: Plan;
  busy: boolean;
  running: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const first = useAutoFocus<HTMLButtonElement>();
  if (plan.nothing_to_do) {
    return (
      <div class="confirm confirm-info" data-testid="rollback-confirm">
        <p>Nothing to roll back: the work tree is already as it was before run #{plan.run_id}.</p>
        <div class="row">
          <button type="button" class="btn" onClick={onCancel} ref={first}>
            Close
          </button>
        </div>
      </div>
    );
  }
  return (
    <div
      class="confirm"
      role="alertdialog"
      aria-labelledby="rollback-q"
      data-testid="rollback-confirm"
      onKeyDown={(e) => e.key === "Escape" && onCancel()}
    >
      <p id="rollback-q">
        <strong>Roll back to before run #{plan.run_id}?</strong> This undoes{" "}
        {plan.runs_undone.map((id) => `#${id}`).join(", ") || "nothing recorded"}.
      </p>
      {plan.restore.length > 0 && (
        <PathList
          title={`Restored (${plan.restore.length})`}
          items={plan.restore.map((f) => `${f.path} (${f.was} since)`)}
          testId="rollback-restore"
        />
      )}
      {plan.remove.length > 0 && (
        <PathList title={`Removed (${plan.remove.length})`} items={plan.remove} testId="rollback-remove" />
      )}
      {plan.head && (
        <p class="small" data-testid="rollback-head">
          {plan.head.branch ? `Branch ${plan.head.branch}` : "HEAD (detached)"} moves from{" "}
          <code>{shortSha(plan.head.from)}</code> back to <code>{shortSha(plan.head.to)}</code>.
        </p>
      )}
      {plan.index && <p class="small">What was staged is set back too.</p>}
      {plan.keep.length > 0 && (
        <p class="small muted">{plural(plan.keep.length, "ignored file")} left alone.</p>
      )}
      <div class="row">
        <button
          type="button"
          class="btn btn-danger"
          onClick={onConfirm}
          ref={first}
          disabled={busy || running}
        >
          {busy ? "Rolling back…" : "Roll back now"}
        </button>
        <button type="button" class="btn" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** Paths listed in a confirmation; past this many the rest is a count (a huge list helps nobody decide). */
const LIST_CAP = 100;

function PathList({ title, items, testId }: { title: string; items: string[]; testId: string }) {
  return (
    <div class="plan-list">
      <p class="small">{title}</p>
      <ul data-testid={testId}>
        {items.slice(0, LIST_CAP).map((p) => (
          <li key={p}>
            <code>{p}</code>
          </li>
        ))}
        {items.length > LIST_CAP && <li class="muted">and {items.length - LIST_CAP} more</li>}
      </ul>
    </div>
  );
}
