import type { RouteResponse, RunRecord } from "@codex-autorunner/core";
import { useEffect, useState } from "preact/hooks";
import { runAgentText, spendText } from "../agents/view.js";
import { ApiError, describeError } from "../api/errors.js";
import { api } from "../api/instance.js";
import { DiffView } from "../changes/diff.js";
import { RollbackPanel } from "../changes/rollback.js";
import { changesSummary, verifyVerdict } from "../changes/summary.js";
import { formatDateTime, formatDuration } from "../format.js";
import { useLive } from "../live.js";
import { href } from "../router.js";
import { Banner } from "../ui/banner.js";
import { outcomeLabel } from "./runs.js";

/** Patch bytes the page asks for: enough to read a run's work, small enough to render on a phone. */
const PATCH_BYTES = 256 * 1024;

type Loaded<T> = { value: T } | { error: ApiError | Error } | null;

/** One run: its result and verification, what it changed (files and patch), and the rollback to before it. */
export function RunView({ id }: { id: number }) {
  const live = useLive();
  const [record, setRecord] = useState<Loaded<RunRecord>>(null);
  const [diff, setDiff] = useState<Loaded<RouteResponse<"runDiff">>>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let gone = false;
    const keep =
      <T,>(set: (v: Loaded<T>) => void) =>
      (p: Promise<T>) =>
        p.then(
          (value) => !gone && set({ value }),
          (error: ApiError | Error) => !gone && set({ error }),
        );
    void keep(setRecord)(api.run(id));
    void keep(setDiff)(api.runDiff(id, PATCH_BYTES));
    return () => {
      gone = true;
    };
  }, [id, version, live.runsVersion]);

  const r = record && "value" in record ? record.value : null;
  const running = live.state?.running ?? false;

  return (
    <section class="view" aria-labelledby="run-title">
      <div class="logs-head">
        <h1 id="run-title" class="h-inline">
          Run #{id}
        </h1>
        <a href={href("runs")}>All runs</a>
      </div>
      {record && "error" in record && <Banner tone="error">{describeError(record.error)}</Banner>}
      {r && <RunFacts r={r} />}
      <div class="card">
        <div class="card-head">
          <h2>Changes</h2>
        </div>
        {diff === null ? (
          <p class="muted">Loading…</p>
        ) : "value" in diff ? (
          <DiffView diff={diff.value} />
        ) : (
          <p class={diff.error instanceof ApiError && diff.error.status === 404 ? "muted" : "text-error"}>
            {describeError(diff.error)}
          </p>
        )}
      </div>
      {r?.checkpoints?.before && (
        <div class="card">
          <div class="card-head">
            <h2>Roll back</h2>
          </div>
          <RollbackPanel runId={id} running={running} onDone={() => setVersion((v) => v + 1)} />
        </div>
      )}
    </section>
  );
}

function RunFacts({ r }: { r: RunRecord }) {
  const o = outcomeLabel(r);
  const v = verifyVerdict(r.verify);
  const failed = r.verify?.commands.find((c) => !c.passed);
  const spend = spendText(r.usage, r.cost_usd);
  return (
    <div class="card">
      <dl class="facts">
        <div>
          <dt>Result</dt>
          <dd>
            <span class={`tag tag-${o.tone}`}>{o.text}</span>
          </dd>
        </div>
        <div>
          <dt>Verification</dt>
          <dd data-testid="run-verify">
            <span class={`tag tag-${v.tone}`}>{v.text}</span>
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>
            <time dateTime={r.started_at}>{formatDateTime(r.started_at)}</time>
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(r.duration_ms)}</dd>
        </div>
        <div>
          <dt>Changes</dt>
          <dd data-testid="run-changes">{changesSummary(r.checkpoints)}</dd>
        </div>
        <div>
          <dt>Agent</dt>
          <dd data-testid="run-agent">{runAgentText(r)}</dd>
        </div>
        {spend && (
          <div>
            <dt>Usage</dt>
            <dd data-testid="run-usage">{spend}</dd>
          </div>
        )}
        {r.limit_wait_ms > 0 && (
          <div>
            <dt>Limit wait</dt>
            <dd data-testid="run-limit-wait">{formatDuration(r.limit_wait_ms)}</dd>
          </div>
        )}
        {r.steering.length > 0 && (
          <div>
            <dt>Steering</dt>
            <dd class="wrap" data-testid="run-steering">
              {r.steering.join(", ")}
            </dd>
          </div>
        )}
        <div>
          <dt>Log</dt>
          <dd>
            <a href={href("logs", [], { run: r.id })}>Open its log</a>
          </dd>
        </div>
      </dl>
      {r.needs_input && (
        <p class="msg wrap" data-testid="run-needs-input">
          <strong>The agent asked:</strong> {r.needs_input}
        </p>
      )}
      {failed && (
        <details>
          <summary>
            {failed.name} ({failed.command}){" "}
            {failed.timed_out ? "timed out" : `exited ${failed.exit_code ?? failed.signal}`}
          </summary>
          <pre class="patch">{failed.output_tail}</pre>
        </details>
      )}
      {r.rolled_back && (
        <Banner tone="warn" testId="run-rolled-back">
          Undone by a rollback to before run #{r.rolled_back.to_before_run} at{" "}
          {formatDateTime(r.rolled_back.at)}. To return: <code class="cmd">{r.rolled_back.undo_command}</code>
        </Banner>
      )}
    </div>
  );
}
