import { useEffect, useState } from "preact/hooks";
import { describeError } from "../api/errors.js";
import { api } from "../api/instance.js";
import type { SteerList } from "../api/types.js";
import { useLive } from "../live.js";
import { href } from "../router.js";

/** Delivered messages shown under the pending ones, newest first. */
const RECENT = 5;

/**
 * Steering the loop (`car steer` in the page): a message for the agent's next run, the queue with a
 * delete button each, and where recent ones went. With `question` set (the agent's NEEDS_INPUT), the
 * box is the answer: a message wakes the waiting runner and the next run carries it.
 */
export function SteerBox({ question }: { question: string | null }) {
  const live = useLive();
  const [list, setList] = useState<SteerList | null>(null);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let gone = false;
    api.steerList().then(
      (l) => !gone && setList(l),
      (err) => !gone && setError(describeError(err)),
    );
    return () => {
      gone = true;
    };
  }, [version, live.stateVersion, live.runsVersion]);

  async function act(fn: () => Promise<unknown>, after?: () => void) {
    setBusy(true);
    setError(null);
    try {
      await fn();
      after?.();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
      setVersion((v) => v + 1);
    }
  }

  const messages = list?.messages ?? [];
  const pending = messages.filter((m) => m.state === "pending");
  const sent = messages
    .filter((m) => m.state !== "pending")
    .slice(-RECENT)
    .reverse();
  const verb = question ? "Answer" : "Send";

  return (
    <div class={question ? "card card-ask" : "card"} data-testid="steer-box">
      <div class="card-head">
        <h2>{question ? "The agent asks" : "Steer"}</h2>
      </div>
      {question && (
        <p class="question wrap" data-testid="needs-input">
          {question}
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim())
            void act(
              () => api.steerPost(text),
              () => setText(""),
            );
        }}
      >
        <label for="steer-text" class={question ? "sr-only" : "muted small"}>
          {question ? "Your answer" : "A message for the agent's next run"}
        </label>
        <textarea
          id="steer-text"
          rows={3}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          data-testid="steer-text"
        />
        <div class="row">
          <button type="submit" class="btn btn-primary" disabled={busy || !text.trim()}>
            {busy ? "Sending…" : verb}
          </button>
        </div>
      </form>
      {error && (
        <p class="msg text-error" role="alert" data-testid="steer-error">
          {error}
        </p>
      )}
      {pending.length > 0 && (
        <ul class="steer-list" data-testid="steer-pending" aria-label="Pending messages">
          {pending.map((m) => (
            <li key={m.id}>
              <span class="wrap">{m.text}</span>
              <button
                type="button"
                class="btn btn-small"
                disabled={busy}
                aria-label={`Delete: ${m.text.slice(0, 40)}`}
                onClick={() => act(() => api.steerDelete(m.id))}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      {sent.length > 0 && (
        <ul class="steer-list muted" data-testid="steer-delivered" aria-label="Delivered messages">
          {sent.map((m) => (
            <li key={m.id}>
              <span class="wrap">{m.text}</span>
              <a href={href("runs", [String(m.run_id)])}>
                → run {m.run_id}
                {m.state === "delivering" ? " (in progress)" : ""}
              </a>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
