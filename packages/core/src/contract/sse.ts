import { z } from "zod";
import { apiErrorSchema } from "./errors.js";
import { stateBodySchema } from "./state.js";

const int = z.number().int();
const logStream = z.enum(["stdout", "stderr"]);

/** `event: log`: one log line. `stream` is null for a line that is neither agent output nor a marker. */
export const logEventSchema = z.strictObject({
  run_id: int.nullable(),
  ts: z.string().nullable(),
  stream: logStream.nullable(),
  line: z.string(),
});

/** `event: run`: a run marker; `line` is the marker line as written in the log. */
export const runEventSchema = z.strictObject({
  run_id: int,
  phase: z.enum(["start", "end"]),
  code: int.nullable(),
  line: z.string(),
});

/**
 * The events of `GET /api/logs/stream` and their `data` (JSON). Ids are virtual byte offsets (see the
 * server's sse/ids.ts). `state` comes first on connect, then on every change.
 */
export const STREAM_EVENTS = {
  /** The `GET /api/state` body. */
  state: stateBodySchema,
  log: logEventSchema,
  run: runEventSchema,
  /** The log was truncated or rotated, or the client's cursor is unknown: drop what is shown. */
  reset: z.strictObject({ reason: z.string() }),
  /** Heartbeat. */
  ping: z.strictObject({ ts: z.string() }),
  /** The server failed on this stream and closes it; the client reconnects. */
  error: apiErrorSchema,
};

/** `POST /api/chat` JSON answer, also the data of the streamed `event: done`. */
export const chatResultSchema = z.strictObject({
  chat_id: z.string(),
  /** The agent's final message when its output format tells it, else all its output lines. */
  response: z.string(),
  exit_code: int.nullable(),
  /** Repo-relative path of the chat's log. */
  log: z.string(),
});

/** The events of `POST /api/chat` with `Accept: text/event-stream`. */
export const CHAT_EVENTS = {
  /** One line of the agent's output as it arrives. */
  line: z.strictObject({ stream: logStream, line: z.string() }),
  done: chatResultSchema,
  error: apiErrorSchema,
};

type Data<E> = { [K in keyof E]: E[K] extends z.ZodType ? z.output<E[K]> : never };

/** `data` of each `GET /api/logs/stream` event, by event name. */
export type StreamEventData = Data<typeof STREAM_EVENTS>;
export type StreamEventName = keyof StreamEventData;
/** `data` of each streamed `POST /api/chat` event, by event name. */
export type ChatEventData = Data<typeof CHAT_EVENTS>;
export type LogEventData = StreamEventData["log"];
export type RunEventData = StreamEventData["run"];
export type ChatResult = z.output<typeof chatResultSchema>;
