import type { RunRecord } from "@codex-autorunner/core";
import { useEffect, useState } from "preact/hooks";
import { runAgentText, spendText } from "../agents/view.js";
import { describeError } from "../api/errors.js";
import { api } from "../api/instance.js";
import { changesSummary, verifyVerdict } from "../changes/summary.js";
import { formatDateTime, formatDuration, todoDelta } from "../format.js";
import { useLive } from "../live.js";
import { href } from "../router.js";
import { Banner } from "../ui/banner.js";

const PAGE = 25;

export function outcomeLabel(r: RunRecord): { text: string; tone: "ok" | "error" | "warn" | "running" } {
  if (r.finished_at === null && r.outcome === null) return { text: "running…", tone: "running" };
  const code = r.exit_code !== null ? ` (${r.exit_code})` : r.signal ? ` (${r.signal})` : "";
  const outcome = r.outcome ?? (r.exit_code === 0 ? "completed" : "failed");
  const tone =
    outcome === "completed" ? "ok" : outcome === "interrupted" || outcome === "stalled" ? "warn" : "error";
  return { text: `${outcome}${code}`, tone };
}

export function RunsView() {
  const live = useLive();
  const [runs, setRuns] = useState<RunRecord[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  async function load(offset: number) {
    setLoading(true);
    try {
      const page = await api.runs(PAGE, offset);
      setRuns((prev) => {
        if (offset === 0) return page.runs;
        const seen = new Set(prev.map((r) => r.id));
        return [...prev, ...page.runs.filter((r) => !seen.has(r.id))];
      });
      setNext(page.next);
      setTotal(page.total);
      setError(null);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setLoading(false);
    }
  }

  // First page again whenever a run starts or ends.
  useEffect(() => {
    void load(0);
  }, [live.runsVersion]);

  const open = (id: number) => {
    location.hash = href("runs", [String(id)]);
  };

  return (
    <section class="view" aria-labelledby="runs-title">
      <h1 id="runs-title" class="sr-only">
        Runs
      </h1>
      {error && <Banner tone="error">{error}</Banner>}
      <div class="card card-flush">
        <table class="runs" data-testid="runs-table">
          <caption class="sr-only">
            Run history, newest first. Select a run to open its changes and log.
          </caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">Result</th>
              <th scope="col" title="The harness's verification after the run (verify.commands)">
                Verify
              </th>
              <th scope="col" title="Lines added and removed, files changed">
                Changes
              </th>
              <th scope="col" title="TODO items ticked during the run">
                TODO
              </th>
              <th
                scope="col"
                title="The agent that ran it (a fallback stands in while the primary is usage-limited)"
              >
                Agent
              </th>
              <th scope="col" title="Tokens, and the cost when the agent reports it">
                Usage
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => {
              const o = outcomeLabel(r);
              const v = verifyVerdict(r.verify);
              return (
                <tr key={r.id} class="clickable" onClick={() => open(r.id)}>
                  <td data-label="Run">
                    <a href={href("runs", [String(r.id)])} onClick={(e) => e.stopPropagation()}>
                      #{r.id}
                    </a>
                  </td>
                  <td data-label="Started">
                    <time dateTime={r.started_at}>{formatDateTime(r.started_at)}</time>
                  </td>
                  <td data-label="Duration">{formatDuration(r.duration_ms)}</td>
                  <td data-label="Result">
                    <span class={`tag tag-${o.tone}`}>{o.text}</span>
                    {r.rolled_back && (
                      <span
                        class="tag tag-warn"
                        title={`Undone by a rollback to before run ${r.rolled_back.to_before_run}`}
                      >
                        rolled back
                      </span>
                    )}
                  </td>
                  <td data-label="Verify" data-testid="run-verify">
                    <span class={`tag tag-${v.tone}`}>{v.text}</span>
                  </td>
                  <td data-label="Changes" data-testid="run-changes">
                    {changesSummary(r.checkpoints)}
                  </td>
                  <td data-label="TODO">{todoDelta(r.todo_before, r.todo_after)}</td>
                  <td data-label="Agent" data-testid="run-agent">
                    {runAgentText(r)}
                  </td>
                  <td data-label="Usage" title={r.usage ? `${r.usage.total_tokens} tokens` : "not reported"}>
                    {spendText(r.usage, r.cost_usd) ?? "—"}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {!loading && runs.length === 0 && !error && (
          <p class="muted pad">No runs yet. Start one from the dashboard.</p>
        )}
      </div>
      <div class="row">
        {next !== null && (
          <button type="button" class="btn" disabled={loading} onClick={() => load(next)}>
            {loading ? "Loading…" : "Load older runs"}
          </button>
        )}
        <span class="muted small">
          {runs.length}
          {total !== null ? ` of ${total}` : ""} run{(total ?? runs.length) === 1 ? "" : "s"}
        </span>
      </div>
    </section>
  );
}
