import type { RunRecord } from "@codex-autorunner/core";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { describeError } from "../api/errors.js";
import { api } from "../api/instance.js";
import { LIVE_LINE_CAP, useLive } from "../live.js";
import { appendCapped, classifyBlock, dedupeOverlap, type LogLine, matchesFilter } from "../logs/classify.js";
import { href, type Route } from "../router.js";
import { Banner } from "../ui/banner.js";
import { LogLines } from "../ui/log-lines.js";
import { ConnIndicator } from "../ui/status.js";

/** Lines kept in the DOM; older ones are dropped (the count is shown). */
export const DOM_LINE_CAP = 2000;
const DEFAULT_TAIL = 200;
const MAX_TAIL = 5000;

export function LogsView({ route }: { route: Route }) {
  const live = useLive();
  const runParam = route.params.get("run");
  const runId = runParam && /^\d+$/.test(runParam) ? Number(runParam) : null;
  const [tail, setTail] = useState(DEFAULT_TAIL);
  const [tailInput, setTailInput] = useState(String(DEFAULT_TAIL));
  const [filter, setFilter] = useState("");
  const [block, setBlock] = useState<LogLine[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [runs, setRuns] = useState<RunRecord[]>([]);
  /** `live.received` when the block was fetched: lines received later are appended to it. */
  const [mark, setMark] = useState<number | null>(null);
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLElement>(null);
  const liveRef = useRef(live);
  liveRef.current = live;

  useEffect(() => {
    api
      .runs(50, 0)
      .then((p) => setRuns(p.runs))
      .catch(() => {});
  }, [live.runsVersion]);

  useEffect(() => {
    const abort = new AbortController();
    setLoading(true);
    setError(null);
    const seen = liveRef.current.received;
    api
      .logs(runId !== null ? { run_id: runId } : { tail }, abort.signal)
      .then((res) => {
        setBlock(classifyBlock(res.log ?? "", `b${runId ?? "t"}${tail}`));
        setMark(seen);
      })
      .catch((err) => {
        if (abort.signal.aborted) return;
        setBlock([]);
        setMark(seen);
        setError(describeError(err));
      })
      .finally(() => setLoading(false));
    return () => abort.abort();
  }, [runId, tail, live.resetVersion]);

  const { shown, dropped } = useMemo(() => {
    const fresh =
      mark === null ? [] : live.lines.slice(Math.max(0, live.lines.length - (live.received - mark)));
    const liveLines = runId === null ? fresh : fresh.filter((l) => l.runId === runId);
    const all = appendCapped(dedupeOverlap(block, liveLines), liveLines, DOM_LINE_CAP);
    const filtered = filter ? all.lines.filter((l) => matchesFilter(l, filter)) : all.lines;
    return { shown: filtered, dropped: all.dropped };
  }, [block, live.lines, live.received, mark, runId, filter]);

  // Stay at the bottom while following; a user scrolling up pauses that.
  useLayoutEffect(() => {
    const el = box.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [shown, follow]);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (atBottom !== follow) setFollow(atBottom);
  };

  const runOptions = useMemo(() => {
    const ids = new Set(runs.map((r) => r.id));
    const last = live.state?.last_run_id;
    const list = runs.map((r) => r.id);
    if (typeof last === "number" && !ids.has(last)) list.unshift(last);
    if (runId !== null && !list.includes(runId)) list.unshift(runId);
    return list.sort((a, b) => b - a);
  }, [runs, live.state?.last_run_id, runId]);

  return (
    <section class="view view-logs" aria-labelledby="logs-title">
      <div class="logs-head">
        <h1 id="logs-title" class="h-inline">
          Logs
        </h1>
        <ConnIndicator status={live.conn} detail={live.connDetail} />
      </div>
      <form class="log-controls" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="log-run">Run</label>
          <select
            id="log-run"
            value={runId === null ? "" : String(runId)}
            onChange={(e) => {
              const v = e.currentTarget.value;
              location.hash = v ? href("logs", [], { run: v }) : href("logs");
            }}
          >
            <option value="">Latest (live tail)</option>
            {runOptions.map((id) => (
              <option key={id} value={String(id)}>
                Run #{id}
              </option>
            ))}
          </select>
        </div>
        <div class="field field-narrow">
          <label for="log-tail">Tail</label>
          <input
            id="log-tail"
            type="number"
            inputMode="numeric"
            min={1}
            max={MAX_TAIL}
            value={tailInput}
            disabled={runId !== null}
            onInput={(e) => setTailInput(e.currentTarget.value)}
            onChange={(e) => {
              const n = Number.parseInt(e.currentTarget.value, 10);
              const v = Number.isFinite(n) ? Math.min(MAX_TAIL, Math.max(1, n)) : DEFAULT_TAIL;
              setTailInput(String(v));
              setTail(v);
            }}
          />
        </div>
        <div class="field field-grow">
          <label for="log-filter">Filter</label>
          <input
            id="log-filter"
            type="search"
            placeholder="text to match"
            value={filter}
            onInput={(e) => setFilter(e.currentTarget.value)}
          />
        </div>
      </form>
      {(live.conn === "failed" || live.conn === "unauthorized") && (
        <Banner tone="warn">
          Live updates stopped ({live.connDetail || live.conn}).{" "}
          <button type="button" class="btn btn-small" onClick={() => location.reload()}>
            Reload page
          </button>
        </Banner>
      )}
      {error && <Banner tone="error">{error}</Banner>}
      <div class="log-meta muted small">
        {loading
          ? "Loading…"
          : `${shown.length} line${shown.length === 1 ? "" : "s"}${filter ? " matching" : ""}${
              dropped > 0 ? ` · ${dropped} older dropped (cap ${DOM_LINE_CAP})` : ""
            }`}
        {live.lines.length >= LIVE_LINE_CAP ? " · live buffer full" : ""}
      </div>
      <section
        class="log-box"
        ref={box}
        onScroll={onScroll}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus to scroll by keyboard
        tabIndex={0}
        aria-label="Log output"
        data-testid="log-box"
      >
        {shown.length === 0 && !loading ? (
          <p class="muted pad">{filter ? "No line matches the filter." : "No log lines yet."}</p>
        ) : (
          <LogLines lines={shown} testId="log-lines" />
        )}
      </section>
      {!follow && (
        <button
          type="button"
          class="btn btn-primary jump"
          onClick={() => {
            setFollow(true);
          }}
          data-testid="jump-latest"
        >
          Paused · jump to latest ↓
        </button>
      )}
    </section>
  );
}
