/**
 * One live connection for the whole page: the SSE stream of log lines, run and state events, plus
 * the latest GET /api/state. Views subscribe to snapshots instead of opening their own streams.
 */
import type { StreamEventData, StreamEventName } from "@codex-autorunner/core";
import { ApiError, describeError } from "./api/errors.js";
import { api } from "./api/instance.js";
import { onTokenChange } from "./api/token.js";
import type { StateResponse } from "./api/types.js";
import {
  appendCapped,
  classifyBlock,
  classifyEvent,
  dedupeOverlap,
  type LogLine,
  markerFromRunEvent,
} from "./logs/classify.js";
import { type EventStreamHandle, openEventStream, type StreamStatus } from "./sse/client.js";
import { createStore } from "./ui/store.js";

/** Lines kept for the live views; older ones are dropped from memory and the DOM. */
export const LIVE_LINE_CAP = 2000;
const INITIAL_TAIL = 200;

export interface LiveSnapshot {
  conn: StreamStatus;
  connDetail: string;
  state: StateResponse | null;
  /** Last failure of GET /api/state (401 included), null once it succeeds. */
  stateError: ApiError | null;
  lines: LogLine[];
  /** Lines dropped from the front because of LIVE_LINE_CAP. */
  dropped: number;
  /** Live lines received since the page loaded (monotonic; the backlog does not count). Views that
   * fetched a block at count N append `lines` received after N. */
  received: number;
  /** Bumped when the server reset the stream (log truncated/rotated, server restarted): views refetch. */
  resetVersion: number;
  /** Bumped on every run start/end: views showing run lists or docs refresh on change. */
  runsVersion: number;
  /** Bumped on every state change. */
  stateVersion: number;
}

const store = createStore<LiveSnapshot>({
  conn: "connecting",
  connDetail: "",
  state: null,
  stateError: null,
  lines: [],
  dropped: 0,
  received: 0,
  resetVersion: 0,
  runsVersion: 0,
  stateVersion: 0,
});
const publish = store.publish;
let stream: EventStreamHandle | null = null;
let pending: LogLine[] = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;
let stateTimer: ReturnType<typeof setTimeout> | null = null;
let stateInFlight = false;
let stateAgain = false;

export const useLive = store.use;

/** Lines arrive in bursts: render at most ~10 times a second. */
function queueLines(lines: LogLine[]): void {
  pending.push(...lines);
  if (!flushTimer) flushTimer = setTimeout(flushLines, 100);
}

function flushLines(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = null;
  if (pending.length === 0) return;
  const { lines: kept, dropped } = appendCapped(store.get().lines, pending, LIVE_LINE_CAP);
  const received = store.get().received + pending.length;
  pending = [];
  publish({ lines: kept, dropped: store.get().dropped + dropped, received });
}

/** Refresh GET /api/state soon; coalesces bursts of events into one request. */
export function refreshState(delayMs = 150): void {
  if (stateTimer) return;
  stateTimer = setTimeout(async () => {
    stateTimer = null;
    if (stateInFlight) {
      stateAgain = true;
      return;
    }
    stateInFlight = true;
    try {
      const state = await api.state();
      publish({ state, stateError: null, stateVersion: store.get().stateVersion + 1 });
    } catch (err) {
      publish({ stateError: err instanceof ApiError ? err : new ApiError(0, "UNKNOWN", describeError(err)) });
    } finally {
      stateInFlight = false;
      if (stateAgain) {
        stateAgain = false;
        refreshState(0);
      }
    }
  }, delayMs);
}

async function loadInitialLines(): Promise<void> {
  try {
    const res = await api.logs({ tail: INITIAL_TAIL });
    flushLines();
    // Live lines that raced ahead of this response stay after the backlog, once.
    const backlog = dedupeOverlap(classifyBlock(res.log, "init"), store.get().lines);
    const { lines, dropped } = appendCapped(backlog, store.get().lines, LIVE_LINE_CAP);
    publish({ lines, dropped: store.get().dropped + dropped });
  } catch {
    // No log yet (404) or unauthorized: the stream status / state error already says so.
  }
}

/** An event's data as the contract describes it (core's STREAM_EVENTS), or null when it is not JSON. */
function eventData<E extends StreamEventName>(_event: E, data: string): StreamEventData[E] | null {
  try {
    return JSON.parse(data) as StreamEventData[E];
  } catch {
    return null;
  }
}

export function startLive(): void {
  if (stream) return;
  refreshState(0);
  void loadInitialLines();
  stream = openEventStream({
    url: api.url("logStream", {}),
    headers: () => api.headers(),
    onStatus: (conn, connDetail) => {
      const wasDown = store.get().conn !== "open";
      publish({ conn, connDetail });
      // Anything may have changed while we were away.
      if (conn === "open" && wasDown) refreshState(0);
    },
    onEvent: (ev) => {
      switch (ev.event) {
        case "log": {
          const data = eventData("log", ev.data);
          if (data) queueLines([classifyEvent(data, ev.id)]);
          break;
        }
        case "run": {
          const data = eventData("run", ev.data);
          if (data) queueLines([markerFromRunEvent(data, ev.id)]);
          publish({ runsVersion: store.get().runsVersion + 1 });
          refreshState();
          break;
        }
        case "state": {
          // The whole GET /api/state body; unreadable data: ask for it instead.
          const state = eventData("state", ev.data);
          if (state) publish({ state, stateError: null, stateVersion: store.get().stateVersion + 1 });
          else refreshState();
          break;
        }
        case "error":
          // The server hit an error on this stream and closes it; the client reconnects.
          publish({ connDetail: eventData("error", ev.data)?.detail ?? "stream error" });
          break;
        case "reset":
          // The log was truncated or rotated (or the server restarted and replays from the start):
          // what we show no longer matches the file, and the replay that follows would repeat it.
          pending = [];
          publish({ lines: [], dropped: 0, resetVersion: store.get().resetVersion + 1 });
          queueLines([
            {
              key: `reset${ev.id}:${Date.now()}`,
              kind: "other",
              runId: null,
              ts: null,
              text: "— log reset —",
            },
          ]);
          break;
        default:
          // ping and future events: bytes arriving already kept the connection watchdog happy.
          break;
      }
    },
  });
  onTokenChange(() => {
    refreshState(0);
    if (store.get().lines.length === 0) void loadInitialLines();
    stream?.reconnectNow();
  });
}
