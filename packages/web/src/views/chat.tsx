import { useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "../api/errors.js";
import { api } from "../api/instance.js";
import { readChatResponse } from "../chat/stream.js";
import { appendTodoRemote } from "../docs/remote-todo.js";
import { todoTextFromReply } from "../docs/todo-edit.js";
import { href } from "../router.js";
import { useAutoFocus } from "../ui/autofocus.js";

interface Turn {
  id: number;
  role: "user" | "agent";
  text: string;
  /** Agent turns: streamed output lines until the answer arrives. */
  progress: string[];
  state: "streaming" | "done" | "error";
  error?: string;
}

/** The conversation survives switching views (not reloads: chats are not stored on the server). */
let history: Turn[] = [];
let nextId = 1;

const INCLUDES = [
  { key: "include_todo", label: "TODO" },
  { key: "include_progress", label: "PROGRESS" },
  { key: "include_opinions", label: "OPINIONS" },
] as const;

type IncludeKey = (typeof INCLUDES)[number]["key"];

export function ChatView() {
  const [turns, setTurns] = useState<Turn[]>(history);
  const [message, setMessage] = useState("");
  const [include, setInclude] = useState<Record<IncludeKey, boolean>>({
    include_todo: true,
    include_progress: true,
    include_opinions: true,
  });
  const [busy, setBusy] = useState(false);
  const abortRef = useRef<AbortController | null>(null);

  useEffect(() => {
    history = turns;
  }, [turns]);
  useEffect(() => () => abortRef.current?.abort(), []);

  const update = (id: number, patch: (t: Turn) => Partial<Turn>) =>
    setTurns((ts) => ts.map((t) => (t.id === id ? { ...t, ...patch(t) } : t)));

  async function send() {
    const text = message.trim();
    if (!text || busy) return;
    const userTurn: Turn = { id: nextId++, role: "user", text, progress: [], state: "done" };
    const agentTurn: Turn = { id: nextId++, role: "agent", text: "", progress: [], state: "streaming" };
    setTurns((ts) => [...ts, userTurn, agentTurn]);
    setMessage("");
    setBusy(true);
    const abort = new AbortController();
    abortRef.current = abort;
    try {
      const res = await api.chatStream({ message: text, ...include }, abort.signal);
      const result = await readChatResponse(res, {
        onLine: (line) => update(agentTurn.id, (t) => ({ progress: [...t.progress, line].slice(-200) })),
      });
      update(agentTurn.id, (t) => ({
        text: result.response || t.progress.join("\n"),
        state: "done",
      }));
    } catch (err) {
      const msg = abort.signal.aborted ? "Cancelled." : describeError(err);
      update(agentTurn.id, () => ({ state: "error", error: msg }));
    } finally {
      setBusy(false);
      abortRef.current = null;
    }
  }

  return (
    <section class="view" aria-labelledby="chat-title">
      <h1 id="chat-title" class="sr-only">
        Chat
      </h1>
      <p class="muted small">
        Ask the agent about the repo. It runs read-only (it cannot edit files); turn a useful answer into a
        TODO item.
      </p>
      <div class="chat-log" aria-live="polite">
        {turns.map((t) =>
          t.role === "user" ? <UserTurn key={t.id} turn={t} /> : <AgentTurn key={t.id} turn={t} />,
        )}
      </div>
      <form
        class="card chat-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <label for="chat-message">Message</label>
        <textarea
          id="chat-message"
          rows={3}
          value={message}
          placeholder="What is left to do for the release?"
          onInput={(e) => setMessage(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <fieldset class="includes">
          <legend>Include as context</legend>
          {INCLUDES.map((inc) => (
            <label key={inc.key} class="check">
              <input
                type="checkbox"
                checked={include[inc.key]}
                onChange={(e) => setInclude({ ...include, [inc.key]: e.currentTarget.checked })}
              />
              {inc.label}
            </label>
          ))}
        </fieldset>
        <div class="row">
          <button type="submit" class="btn btn-primary" disabled={busy || !message.trim()}>
            {busy ? "Waiting for the agent…" : "Send"}
          </button>
          {busy && (
            <button type="button" class="btn" onClick={() => abortRef.current?.abort()}>
              Cancel
            </button>
          )}
          <span class="muted small kbd-hint">
            <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>Enter</kbd> sends
          </span>
        </div>
      </form>
    </section>
  );
}

function UserTurn({ turn }: { turn: Turn }) {
  return (
    <div class="turn turn-user">
      <div class="turn-who">You</div>
      <div class="turn-text">{turn.text}</div>
    </div>
  );
}

function AgentTurn({ turn }: { turn: Turn }) {
  const [adding, setAdding] = useState(false);
  const [item, setItem] = useState("");
  const [status, setStatus] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  const [saving, setSaving] = useState(false);

  async function add() {
    setSaving(true);
    setStatus(null);
    try {
      await appendTodoRemote(api, item);
      setStatus({ tone: "ok", text: "Added to the TODO." });
      setAdding(false);
    } catch (err) {
      setStatus({ tone: "error", text: describeError(err) });
    } finally {
      setSaving(false);
    }
  }

  return (
    <div class="turn turn-agent" data-testid="agent-turn" data-state={turn.state}>
      <div class="turn-who">Agent</div>
      {turn.state === "streaming" && (
        <pre class="turn-progress">{turn.progress.length ? turn.progress.join("\n") : "Thinking…"}</pre>
      )}
      {turn.state === "done" && (
        <div class="turn-text">{turn.text || <em class="muted">(empty answer)</em>}</div>
      )}
      {turn.state === "error" && <p class="text-error">{turn.error}</p>}
      {turn.state === "done" && turn.text && !adding && (
        <button
          type="button"
          class="btn btn-small"
          onClick={() => {
            setItem(todoTextFromReply(turn.text));
            setAdding(true);
          }}
        >
          Add as TODO
        </button>
      )}
      {adding && (
        <AddTodoForm
          id={`todo-from-${turn.id}`}
          value={item}
          saving={saving}
          onInput={setItem}
          onSubmit={() => void add()}
          onCancel={() => setAdding(false)}
        />
      )}
      {status && (
        <output class={`block small ${status.tone === "ok" ? "text-ok" : "text-error"}`}>
          {status.text} {status.tone === "ok" && <a href={href("docs", ["todo"])}>Open TODO</a>}
        </output>
      )}
    </div>
  );
}

function AddTodoForm(props: {
  id: string;
  value: string;
  saving: boolean;
  onInput: (v: string) => void;
  onSubmit: () => void;
  onCancel: () => void;
}) {
  const input = useAutoFocus<HTMLInputElement>();
  return (
    <form
      class="row add-item"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <label for={props.id} class="sr-only">
        TODO item text
      </label>
      <input
        id={props.id}
        ref={input}
        type="text"
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      <button type="submit" class="btn btn-primary" disabled={props.saving || !props.value.trim()}>
        {props.saving ? "Adding…" : "Add"}
      </button>
      <button type="button" class="btn" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}
