import { useEffect, useState } from "preact/hooks";
import { describeError } from "./api/errors.js";
import { useLive } from "./live.js";
import { href, hubHome, parseRoute, type Route, type View } from "./router.js";
import { Banner } from "./ui/banner.js";
import { ConnIndicator, StatusPill } from "./ui/status.js";
import { TokenButton, TokenPanel } from "./ui/token-panel.js";
import { ChatView } from "./views/chat.js";
import { DashboardView } from "./views/dashboard.js";
import { DocsView } from "./views/docs.js";
import { LogsView } from "./views/logs.js";
import { RunView } from "./views/run.js";
import { RunsView } from "./views/runs.js";

const NAV: Array<{ view: View; label: string }> = [
  { view: "dashboard", label: "Dashboard" },
  { view: "docs", label: "Docs" },
  { view: "logs", label: "Logs" },
  { view: "runs", label: "Runs" },
  { view: "chat", label: "Chat" },
];

/** The hub's home when `car hub serve` serves this page under `/repos/<id>/`. */
const HUB_HOME = hubHome(document.baseURI);

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  return route;
}

export function App() {
  const route = useRoute();
  const live = useLive();
  const [tokenOpen, setTokenOpen] = useState(false);
  const unauthorized = live.conn === "unauthorized" || live.stateError?.status === 401;

  // A 401 opens the token form (the one thing the user has to do next); success closes it.
  useEffect(() => {
    setTokenOpen(unauthorized);
  }, [unauthorized]);

  useEffect(() => {
    const label = NAV.find((n) => n.view === route.view)?.label ?? "";
    document.title = `${label} · codex-autorunner`;
  }, [route.view]);

  return (
    <div class="app">
      {/* A button, not `href="#main"`: the hash is the router's. */}
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <header class="top">
        {HUB_HOME && (
          <div class="hub-back small">
            <a href={HUB_HOME} data-testid="hub-home">
              ← All repos
            </a>
            {live.state && <span class="muted"> / {live.state.root.split(/[\\/]/).pop()}</span>}
          </div>
        )}
        <div class="top-row">
          <a class="brand" href={href("dashboard")} aria-label="codex-autorunner dashboard">
            <span class="brand-mark" aria-hidden="true">
              car
            </span>
            <span class="brand-name">codex-autorunner</span>
          </a>
          <StatusPill state={live.state} />
          <span class="spacer" />
          <ConnIndicator status={live.conn} detail={live.connDetail} />
          <TokenButton
            unauthorized={unauthorized}
            open={tokenOpen}
            onToggle={() => setTokenOpen(!tokenOpen)}
          />
        </div>
        {tokenOpen && (
          <TokenPanel
            unauthorized={unauthorized}
            // While the server still says 401 the form stays open for another try.
            onDone={() => !unauthorized && setTokenOpen(false)}
          />
        )}
        <nav class="tabs-nav" aria-label="Views">
          {NAV.map((n) => (
            <a key={n.view} href={href(n.view)} aria-current={route.view === n.view ? "page" : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {unauthorized && (
          <Banner tone="error" testId="auth-error">
            <strong>Unauthorized.</strong>{" "}
            {live.stateError?.status === 401
              ? describeError(live.stateError)
              : "The server needs an access token: open the URL `car serve` printed, or enter the token in the Token field."}
          </Banner>
        )}
        {!unauthorized && live.stateError && live.stateError.status !== 401 && (
          <Banner tone="warn" testId="state-error">
            Could not load the runner state: {describeError(live.stateError)}
          </Banner>
        )}
        {route.view === "dashboard" && <DashboardView />}
        {route.view === "docs" && <DocsView route={route} />}
        {route.view === "logs" && <LogsView route={route} />}
        {/* Keyed by the run: another run's page starts fresh (no stale record or rollback plan). */}
        {route.view === "runs" &&
          (/^\d+$/.test(route.rest[0] ?? "") ? (
            <RunView key={route.rest[0]} id={Number(route.rest[0])} />
          ) : (
            <RunsView />
          ))}
        {route.view === "chat" && <ChatView />}
      </main>
    </div>
  );
}
