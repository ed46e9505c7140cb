import { useEffect, useState } from "preact/hooks";
import { Banner } from "../ui/banner.js";
import { ConnIndicator } from "../ui/status.js";
import { TokenButton, TokenPanel } from "../ui/token-panel.js";
import { useHub } from "./live.js";
import { runsSummary } from "./model.js";
import { RepoCard } from "./repo-card.js";

/** The hub's home: every repo as a card, live from `/hub/stream`. */
export function HubApp() {
  const { conn, connDetail, model } = useHub();
  const [tokenOpen, setTokenOpen] = useState(false);
  const unauthorized = conn === "unauthorized";

  // A 401 opens the token form (the one thing the user has to do next); success closes it.
  useEffect(() => {
    setTokenOpen(unauthorized);
  }, [unauthorized]);

  return (
    <div class="app">
      <header class="top">
        <div class="top-row">
          <a class="brand" href="./" aria-label="codex-autorunner hub">
            <span class="brand-mark" aria-hidden="true">
              car
            </span>
            <span class="brand-name">hub</span>
          </a>
          {model.loaded && (
            <span class="muted small" data-testid="hub-runs">
              {runsSummary(model)}
            </span>
          )}
          <span class="spacer" />
          <ConnIndicator status={conn} detail={connDetail} />
          <TokenButton
            unauthorized={unauthorized}
            open={tokenOpen}
            onToggle={() => setTokenOpen(!tokenOpen)}
          />
        </div>
        {tokenOpen && <TokenPanel unauthorized={unauthorized} onDone={() => setTokenOpen(false)} />}
      </header>
      <main id="main" tabIndex={-1}>
        <h1 class="sr-only">Repos</h1>
        {unauthorized && (
          <Banner tone="error" testId="auth-error">
            <strong>Unauthorized.</strong> The hub needs an access token: open the URL{" "}
            <code>car hub serve</code> printed, or enter the token in the Token field.
          </Banner>
        )}
        {conn === "failed" && (
          <Banner tone="warn" testId="stream-error">
            Cannot follow the hub's repos: {connDetail || "the stream failed"}.
          </Banner>
        )}
        {model.loaded && model.repos.length === 0 && (
          <p class="muted" data-testid="hub-empty">
            No repos under <code>{model.root}</code> yet. Add one with <code>car hub add PATH</code>, or{" "}
            <code>car init</code> a git repo under the root.
          </p>
        )}
        {!model.loaded && !unauthorized && <p class="muted">Loading repos…</p>}
        <ul class="hub-grid" data-testid="hub-repos">
          {model.repos.map((repo) => (
            <RepoCard key={repo.id} repo={repo} root={model.root} />
          ))}
        </ul>
      </main>
    </div>
  );
}
