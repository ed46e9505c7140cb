import type { HubRepo } from "@codex-autorunner/core";
import { useState } from "preact/hooks";
import { describeError } from "../api/errors.js";
import { StatusBadge } from "../ui/status.js";
import { cardView } from "./card.js";
import { repoApi, repoHref } from "./live.js";

/**
 * One repo: the whole card opens its dashboard (`repos/<id>/`); Start and Stop call the repo's own
 * run API through the hub, and the card then follows the hub stream (no refetch here).
 */
export function RepoCard({ repo, root }: { repo: HubRepo; root: string }) {
  const v = cardView(repo, root);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function act(action: "start" | "stop") {
    setBusy(true);
    setError(null);
    try {
      const api = repoApi(repo.id);
      await (action === "start" ? api.start(false) : api.stop());
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li class="card repo" data-testid="repo-card" data-repo={repo.id} data-status={v.badge.label}>
      <div class="card-head">
        <h2 class="repo-name">
          <a class="repo-link" href={repoHref(repo.id)} title={repo.path}>
            {v.title}
          </a>
        </h2>
        <StatusBadge view={v.badge} />
      </div>
      {v.detail && (
        <p class={`repo-detail text-${v.detail.tone}`} data-testid="repo-detail">
          {v.detail.text}
        </p>
      )}
      {v.progress && (
        <div class="repo-progress">
          <div
            class="bar"
            role="progressbar"
            aria-label={`${v.title}: TODO items done`}
            aria-valuemin={0}
            aria-valuemax={v.progress.total}
            aria-valuenow={v.progress.done}
          >
            <div class="bar-fill" style={{ width: `${v.progress.pct}%` }} />
          </div>
          <span class="small muted" data-testid="repo-progress">
            {v.progress.done}/{v.progress.total}
          </span>
        </div>
      )}
      <p class="small muted repo-facts">
        <span data-testid="repo-last-run">{v.lastRun}</span>
        {v.tokens && <span> · {v.tokens}</span>}
      </p>
      <div class="repo-actions">
        <button
          type="button"
          class="btn btn-small btn-primary"
          disabled={!v.canStart || busy}
          onClick={() => act("start")}
          aria-label={`Start ${v.title}`}
        >
          Start
        </button>
        <button
          type="button"
          class="btn btn-small"
          disabled={!v.canStop || busy}
          onClick={() => act("stop")}
          aria-label={`${v.stopLabel} ${v.title}`}
          title={v.stopLabel === "Cancel" ? "Cancel the queued start" : "Stop after the current run"}
        >
          {v.stopLabel}
        </button>
      </div>
      {error && (
        <p class="small text-error repo-detail" role="alert" data-testid="repo-error">
          {error}
        </p>
      )}
    </li>
  );
}
