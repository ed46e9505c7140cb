import { useEffect, useState } from "preact/hooks";
import type { StateResponse } from "../api/types.js";
import { formatDateTime } from "../format.js";
import { Banner } from "../ui/banner.js";
import { limitText, quietText } from "./waiting.js";

/** The current time, ticking every second while `active` (a countdown), still otherwise. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

/** "Usage limit — resumes in 4:10 (at 14:05)", counting down live. */
export function LimitBanner({ state }: { state: StateResponse }) {
  const now = useNow(state.waiting?.reason === "rate_limit");
  const text = limitText(state, now);
  return text ? (
    <Banner tone="warn" testId="limit-wait">
      {text}
      {state.waiting?.message && <span class="muted small"> ({state.waiting.message})</span>}
    </Banner>
  ) : null;
}

/** "quiet for 3m 12s · last command: npm test" and the last undelivered notification, if any. */
export function RunnerNotes({ state }: { state: StateResponse }) {
  const now = useNow(state.quiet !== null && state.running);
  const quiet = quietText(state, now);
  const n = state.notify_error;
  return (
    <>
      {quiet && (
        <p class="msg muted small wrap" data-testid="quiet">
          {quiet}
        </p>
      )}
      {n && (
        <p class="msg text-warn small wrap" data-testid="notify-error">
          ⚠ Notification to {n.target} ({n.event}) failed at {formatDateTime(n.at)}: {n.error}
        </p>
      )}
    </>
  );
}
