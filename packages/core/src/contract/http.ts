import { z } from "zod";
import { rollbackBodySchema, runDiffBodySchema } from "./changes.js";
import {
  HUB_STREAM_EVENTS,
  hubAddRepoBodySchema,
  hubRemoveRepoBodySchema,
  hubRepoSchema,
  hubReposBodySchema,
} from "./hub.js";
import {
  chatBodySchema,
  DEFAULT_DIFF_PATCH_BYTES,
  eventIdParam,
  intString,
  MAX_DIFF_PATCH_BYTES,
  MAX_PAGE,
  MAX_TAIL,
  rollbackRequestSchema,
  runIdParam,
  runStartBodySchema,
  saveDocBodySchema,
} from "./params.js";
import { runRecordSchema } from "./records.js";
import type { RouteName } from "./routes.js";
import { CHAT_EVENTS, chatResultSchema, STREAM_EVENTS } from "./sse.js";
import { stateBodySchema } from "./state.js";
import {
  steerDeleteBodySchema,
  steerListBodySchema,
  steerMessageSchema,
  steerPostBodySchema,
} from "./steer.js";

const int = z.number().int();

const docSchema = z.strictObject({
  kind: z.string(),
  content: z.string(),
  etag: z.string(),
  mtime: z.string(),
});

/**
 * A start: the runner's PID, or (under a hub's `max_concurrent_runs`) `running: false` with the
 * queued start's place in the hub's queue (1 = next).
 */
const runStartResponse = z.strictObject({
  running: z.boolean(),
  once: z.boolean(),
  pid: int.nullable(),
  queued: z.strictObject({ since: z.string(), position: int.min(1) }).nullable(),
});

/** What one route takes and answers. Query values are checked one parameter at a time. */
export interface RouteSpec {
  params?: Record<string, z.ZodType>;
  query?: Record<string, z.ZodType>;
  body?: z.ZodType;
  /** The success body (JSON). */
  response?: z.ZodType;
  /** Success status when not 200. */
  status?: 201 | 202;
  /** Server-sent events instead of (or, for chat, besides) JSON: event name → data. */
  events?: Record<string, z.ZodType>;
}

/**
 * The HTTP contract, by route name (paths and methods in routes.ts). Every error answer, on every
 * route, is errors.ts's `apiErrorSchema` with the status `statusForCode` gives. `/api/*` needs the
 * token (when one is set) as `Authorization: Bearer`; a POST or PUT needs `Content-Type:
 * application/json` and a same-origin request (the server's security.ts).
 */
export const HTTP_CONTRACT = {
  /** No auth: monitors poll it. */
  health: { response: z.strictObject({ ok: z.literal(true), version: z.string() }) },
  state: { response: stateBodySchema },
  /** Every doc's text (a missing doc is ""); `extras` only when extra docs are configured. */
  docs: {
    response: z.strictObject({
      todo: z.string(),
      progress: z.string(),
      opinions: z.string(),
      extras: z.record(z.string(), z.string()).optional(),
    }),
  },
  /** Also sends the etag as the `ETag` header. */
  doc: { params: { kind: z.string() }, response: docSchema },
  /** With `If-Match` the write happens only if the doc is unchanged since (else 409 DOC_CONFLICT). */
  saveDoc: { params: { kind: z.string() }, body: saveDocBodySchema, response: docSchema },
  runStart: { body: runStartBodySchema, response: runStartResponse, status: 202 },
  /** Like start; a stale lock is replaced. */
  runResume: {
    body: runStartBodySchema,
    response: runStartResponse.extend({ resumed: z.literal(true) }),
    status: 202,
  },
  /**
   * The runner finishes its current run, then exits. A start queued by a hub is cancelled instead
   * (`queue_cancelled: true`); 409 NOT_RUNNING when there is neither.
   */
  runStop: {
    response: z.strictObject({
      stop_requested: z.boolean(),
      runner_pid: int.nullable(),
      queue_cancelled: z.boolean(),
    }),
  },
  /** Runner and agent group: SIGTERM, then SIGKILL after `runner.kill_grace_seconds`. */
  runKill: {
    response: z.strictObject({
      killed: z.literal(true),
      pid: int.nullable(),
      agent_pid: int.nullable(),
      signal: z.enum(["SIGTERM", "SIGKILL"]),
    }),
  },
  /** Newest first; corrupt records are skipped (named in `corrupt`) but count toward the page. */
  runs: {
    query: {
      limit: intString(1, MAX_PAGE, `an integer from 1 to ${MAX_PAGE}`).default(50),
      offset: intString(0, Number.MAX_SAFE_INTEGER, "an integer ≥ 0").default(0),
    },
    response: z.strictObject({
      runs: z.array(runRecordSchema),
      total: int,
      limit: int,
      offset: int,
      /** The offset of the next page, null on the last one. */
      next: int.nullable(),
      corrupt: z.array(z.string()),
    }),
  },
  run: { params: { id: runIdParam }, response: runRecordSchema },
  /** 404 RUN_NOT_FOUND when the run has no `before` and `after` checkpoints (git.checkpoints off, not finished). */
  runDiff: {
    params: { id: runIdParam },
    query: {
      max_bytes: intString(0, MAX_DIFF_PATCH_BYTES, `an integer from 0 to ${MAX_DIFF_PATCH_BYTES}`).default(
        DEFAULT_DIFF_PATCH_BYTES,
      ),
    },
    response: runDiffBodySchema,
  },
  /** 409 LOCK_HELD (naming its PID) while a runner is alive; 404 RUN_NOT_FOUND without a `before` checkpoint. */
  runRollback: { params: { id: runIdParam }, body: rollbackRequestSchema, response: rollbackBodySchema },
  /**
   * `?run_id=N` → that run's block; `?tail=N` → the last N lines; neither → the last run's block
   * (`run_id: null, log: ""` before the first run). Not both.
   */
  logs: {
    query: {
      run_id: runIdParam.optional(),
      tail: intString(0, MAX_TAIL, `an integer from 0 to ${MAX_TAIL}`).optional(),
    },
    response: z.union([
      z.strictObject({ run_id: int.nullable(), log: z.string() }),
      z.strictObject({ tail: int, log: z.string() }),
    ]),
  },
  /** `Last-Event-ID` (or `?last_event_id=`) resumes after that id. */
  logStream: { query: { last_event_id: eventIdParam.optional() }, events: STREAM_EVENTS },
  steerList: { response: steerListBodySchema },
  /** 400 INVALID_ARGUMENT (details.reason steer_empty, steer_too_large, steer_queue_full, …). */
  steerPost: { body: steerPostBodySchema, response: steerMessageSchema, status: 201 },
  /** 404 for an unknown id; 400 (details.reason steer_delivering) while its run has it in its prompt. */
  steerDelete: { params: { id: z.string() }, response: steerDeleteBodySchema },
  chat: { body: chatBodySchema, response: chatResultSchema, events: CHAT_EVENTS },
  /** The hub's repos (`car hub serve`); a broken repo is listed with its status and error. */
  hubRepos: { response: hubReposBodySchema },
  /**
   * Registers a git repo (written to hub.yml's `repos:`). 400 INVALID_ARGUMENT for a path outside the
   * root (unless `allow_outside_root: true`), not a folder or not a git repo; 409 when already listed.
   */
  hubAddRepo: { body: hubAddRepoBodySchema, response: hubRepoSchema, status: 201 },
  /** 404 for an unknown id. Never deletes files. */
  hubRemoveRepo: { params: { id: z.string() }, response: hubRemoveRepoBodySchema },
  /** `Last-Event-ID` (or `?last_event_id=`) resumes after that id. */
  hubStream: { query: { last_event_id: z.string().max(64).optional() }, events: HUB_STREAM_EVENTS },
} satisfies Record<RouteName, RouteSpec>;

type Spec<K extends RouteName> = (typeof HTTP_CONTRACT)[K];

/** The success body of a route. */
export type RouteResponse<K extends RouteName> =
  Spec<K> extends { response: infer S extends z.ZodType } ? z.output<S> : never;

/** The JSON body a route takes (what a client sends). */
export type RouteBody<K extends RouteName> =
  Spec<K> extends { body: infer S extends z.ZodType } ? z.input<S> : never;

/** The query parameters a route takes (what a client sends; each optional). */
export type RouteQuery<K extends RouteName> =
  Spec<K> extends { query: infer Q extends Record<string, z.ZodType> }
    ? { [P in keyof Q]?: z.output<Q[P]> | null }
    : never;

export type DocBody = RouteResponse<"doc">;
export type RunsPage = RouteResponse<"runs">;
export type LogsBody = RouteResponse<"logs">;
