import { parseTodo } from "@codex-autorunner/core";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, describeError } from "../api/errors.js";
import { api } from "../api/instance.js";
import type { DocResponse } from "../api/types.js";
import { addTodo, type TodoRef, toggleTodo } from "../docs/todo-edit.js";
import { formatDateTime } from "../format.js";
import { useLive } from "../live.js";
import { href, type Route } from "../router.js";
import { Banner } from "../ui/banner.js";

const FIXED = [
  { kind: "todo", label: "TODO" },
  { kind: "progress", label: "PROGRESS" },
  { kind: "opinions", label: "OPINIONS" },
];

/** Unsaved drafts survive switching tabs (and views) for the life of the page. */
const drafts = new Map<string, { base: DocResponse; draft: string }>();

addEventListener("beforeunload", (e) => {
  for (const { base, draft } of drafts.values()) {
    if (base.content !== draft) {
      e.preventDefault();
      return;
    }
  }
});

export function DocsView({ route }: { route: Route }) {
  const [extras, setExtras] = useState<string[]>([]);
  useEffect(() => {
    api
      .docsIndex()
      .then((idx) => setExtras(Object.keys(idx.extras ?? {})))
      .catch(() => {});
  }, []);
  const tabs = [...FIXED, ...extras.map((kind) => ({ kind, label: kind }))];
  const kind =
    route.rest[0] && tabs.some((t) => t.kind === route.rest[0]) ? route.rest[0] : (route.rest[0] ?? "todo");

  return (
    <section class="view" aria-labelledby="docs-title">
      <h1 id="docs-title" class="sr-only">
        Docs
      </h1>
      <div class="subtabs" role="tablist" aria-label="Documents">
        {tabs.map((t) => (
          <a
            key={t.kind}
            role="tab"
            id={`tab-${t.kind}`}
            href={href("docs", [t.kind])}
            aria-selected={t.kind === kind}
            aria-controls="doc-panel"
          >
            {t.label}
          </a>
        ))}
      </div>
      <div id="doc-panel" role="tabpanel" aria-labelledby={`tab-${kind}`}>
        <DocEditor key={kind} kind={kind} label={tabs.find((t) => t.kind === kind)?.label ?? kind} />
      </div>
    </section>
  );
}

type Phase = "loading" | "ready" | "saving";

function DocEditor({ kind, label }: { kind: string; label: string }) {
  const live = useLive();
  const saved = drafts.get(kind);
  const [base, setBase] = useState<DocResponse | null>(saved?.base ?? null);
  const [draft, setDraft] = useState(saved?.draft ?? "");
  const [phase, setPhase] = useState<Phase>(saved ? "ready" : "loading");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  /** The version on the server that a save collided with. */
  const [conflict, setConflict] = useState<DocResponse | null>(null);
  const [newItem, setNewItem] = useState("");
  const draftRef = useRef(draft);
  draftRef.current = draft;
  const dirty = base !== null && draft !== base.content;

  useEffect(() => {
    if (base) drafts.set(kind, { base, draft });
  }, [kind, base, draft]);

  async function load(quiet = false) {
    if (!quiet) setPhase("loading");
    try {
      const doc = await api.doc(kind);
      setBase(doc);
      setDraft(doc.content);
      setError(null);
      setConflict(null);
    } catch (err) {
      if (err instanceof ApiError && err.code === "DOC_MISSING") {
        // Not created yet: start empty; the first save creates it (no etag to match).
        setBase({ kind, content: "", etag: "", mtime: "" });
        setDraft("");
        setNotice(`${label} does not exist yet; saving creates it.`);
      } else if (!quiet) setError(describeError(err));
    } finally {
      setPhase("ready");
    }
  }

  useEffect(() => {
    if (!saved) void load();
  }, [kind]);

  // The agent edits these docs: follow its changes while the user has nothing unsaved.
  useEffect(() => {
    if (base && !dirty && phase === "ready" && !conflict) {
      api
        .doc(kind)
        .then((doc) => {
          if (doc.etag !== base.etag && draftRef.current === base.content) {
            setBase(doc);
            setDraft(doc.content);
          }
        })
        .catch(() => {});
    }
  }, [live.stateVersion, live.runsVersion]);

  async function save(content: string, etag: string | null) {
    setPhase("saving");
    setError(null);
    setNotice(null);
    try {
      const doc = await api.saveDoc(kind, content, etag || null);
      setBase(doc);
      // Keep typing that happened during the request.
      if (draftRef.current === content) setDraft(doc.content);
      setConflict(null);
      setNotice(`Saved ${formatDateTime(doc.mtime)}.`);
    } catch (err) {
      if (err instanceof ApiError && err.conflict) {
        try {
          setConflict(await api.doc(kind));
        } catch (reloadErr) {
          setError(describeError(reloadErr));
        }
      } else {
        setError(describeError(err));
      }
    } finally {
      setPhase("ready");
    }
  }

  const saveDraft = () => {
    if (phase !== "ready" || !base) return;
    void save(draftRef.current, base.etag);
  };

  // Ctrl/Cmd+S saves instead of the browser's "save page".
  const saveRef = useRef(saveDraft);
  saveRef.current = saveDraft;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "s") {
        e.preventDefault();
        saveRef.current();
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);

  /** A checklist change: applied to the draft and saved at once (with If-Match, like any save). */
  function applyAndSave(edit: (content: string) => string) {
    if (!base || phase !== "ready") return;
    let next: string;
    try {
      next = edit(draftRef.current);
    } catch (err) {
      setError(describeError(err));
      return;
    }
    setDraft(next);
    void save(next, base.etag);
  }

  const items = useMemo(() => (kind === "todo" ? parseTodo(draft) : []), [kind, draft]);
  const doneCount = items.filter((i) => i.done).length;

  if (phase === "loading" && !base) return <p class="muted">Loading {label}…</p>;
  if (!base) {
    return (
      <Banner tone="error" testId="doc-error">
        Could not load {label}: {error}{" "}
        <button type="button" class="btn btn-small" onClick={() => load()}>
          Retry
        </button>
      </Banner>
    );
  }

  return (
    <div class="doc">
      {conflict && (
        <div
          class="banner banner-warn conflict"
          role="alertdialog"
          aria-labelledby="conflict-q"
          data-testid="conflict"
        >
          <div class="banner-body">
            <p id="conflict-q">
              <strong>{label} was changed on the server</strong> (probably by the agent) after you loaded it.
              Your version is not saved yet. What do you want to keep?
            </p>
            <div class="row">
              <button
                type="button"
                class="btn"
                onClick={() => {
                  setBase(conflict);
                  setDraft(conflict.content);
                  setConflict(null);
                  setNotice("Reloaded the server's version; your changes were discarded.");
                }}
              >
                Reload theirs (discard mine)
              </button>
              <button
                type="button"
                class="btn btn-danger"
                onClick={() => save(draftRef.current, conflict.etag)}
              >
                Overwrite with mine
              </button>
            </div>
            <details>
              <summary>Show the server's version</summary>
              <pre class="doc-preview">{conflict.content}</pre>
            </details>
          </div>
        </div>
      )}
      {error && (
        <Banner tone="error" testId="doc-error" onDismiss={() => setError(null)}>
          {error}
        </Banner>
      )}

      {kind === "todo" && (
        <div class="card">
          <div class="card-head">
            <h2>Checklist</h2>
            <span class="muted" data-testid="todo-summary">
              {doneCount} / {items.length} done
            </span>
          </div>
          {items.length === 0 ? (
            <p class="muted">No task items yet. Add one below.</p>
          ) : (
            <ul class="checklist" data-testid="checklist">
              {items.map((it) => {
                const id = `todo-${it.line}`;
                const ref: TodoRef = { line: it.line, text: it.text };
                return (
                  <li
                    key={`${it.line}:${it.text}`}
                    style={{ paddingLeft: `${Math.min(it.indent, 8) * 0.5}rem` }}
                  >
                    <input
                      id={id}
                      type="checkbox"
                      checked={it.done}
                      disabled={phase !== "ready" || conflict !== null}
                      onChange={(e) => {
                        const done = e.currentTarget.checked;
                        applyAndSave((c) => toggleTodo(c, ref, done));
                      }}
                    />
                    <label for={id} class={it.done ? "done" : undefined}>
                      {it.text || <em class="muted">(empty item)</em>}
                    </label>
                  </li>
                );
              })}
            </ul>
          )}
          <form
            class="row add-item"
            onSubmit={(e) => {
              e.preventDefault();
              if (!newItem.trim()) return;
              const text = newItem;
              applyAndSave((c) => addTodo(c, text));
              setNewItem("");
            }}
          >
            <label for="new-item" class="sr-only">
              New TODO item
            </label>
            <input
              id="new-item"
              type="text"
              placeholder="New item…"
              value={newItem}
              onInput={(e) => setNewItem(e.currentTarget.value)}
              disabled={conflict !== null}
            />
            <button
              type="submit"
              class="btn"
              disabled={phase !== "ready" || !newItem.trim() || conflict !== null}
            >
              Add
            </button>
          </form>
          <p class="muted small">Ticking a box or adding an item saves the file right away.</p>
        </div>
      )}

      <div class="card">
        <div class="card-head">
          <h2>
            <label for="raw-editor">{kind === "todo" ? "Raw markdown" : label}</label>
          </h2>
          <span class="muted small" title={base.mtime}>
            {dirty ? (
              <strong class="text-warn">Unsaved changes</strong>
            ) : (
              `Modified ${formatDateTime(base.mtime)}`
            )}
          </span>
        </div>
        <textarea
          id="raw-editor"
          class="editor"
          spellcheck={false}
          value={draft}
          rows={kind === "todo" ? 10 : 18}
          onInput={(e) => setDraft(e.currentTarget.value)}
          data-testid="raw-editor"
        />
        <div class="row">
          <button
            type="button"
            class="btn btn-primary"
            disabled={phase !== "ready" || !dirty}
            onClick={saveDraft}
          >
            {phase === "saving" ? "Saving…" : "Save"}
          </button>
          <button
            type="button"
            class="btn"
            disabled={phase !== "ready" || !dirty}
            onClick={() => setDraft(base.content)}
          >
            Revert
          </button>
          <button type="button" class="btn" disabled={phase !== "ready" || dirty} onClick={() => load()}>
            Reload
          </button>
          <span class="muted small kbd-hint">
            <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>S</kbd> saves
          </span>
        </div>
        <div aria-live="polite">
          {notice && (
            <p class="msg text-ok small" data-testid="doc-notice">
              {notice}
            </p>
          )}
        </div>
      </div>
      {kind !== "todo" && (
        <p class="muted small">
          Tip: the agent reads these docs every run. <a href={href("docs", ["todo"])}>Edit the TODO</a>.
        </p>
      )}
    </div>
  );
}
