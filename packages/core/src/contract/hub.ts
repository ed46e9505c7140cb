import { z } from "zod";
import { WAITING_REASONS } from "../limits/waiting.js";
import { apiErrorSchema } from "./errors.js";
import { tokenUsageSchema } from "./records.js";
import { displayStatusSchema } from "./state.js";

const int = z.number().int();
const count = int.min(0);

/**
 * A hub repo's status: what `GET /api/state` would say (incl. `queued`), or why the hub cannot use the
 * repo: its folder is gone (`missing`), it has no `.codex-autorunner/config.yml` (`uninitialised`), or
 * config.yml does not parse or validate (`config_error`). The last three come with `error`.
 */
export const hubRepoStatusSchema = z.enum([
  ...displayStatusSchema.options,
  "missing",
  "uninitialised",
  "config_error",
]);
export type HubRepoStatus = z.output<typeof hubRepoStatusSchema>;

/** Where the hub learnt of a repo: `repos:` in hub.yml, or discovery under the root. */
export const hubRepoSourceSchema = z.enum(["manifest", "discovered"]);

/** One repo as `GET /hub/repos`, `car hub list --json` and the hub stream show it. */
export const hubRepoSchema = z.strictObject({
  /** Stable, URL-safe, unique: made from the path under the hub's root (core's hub/ids.ts). */
  id: z.string(),
  /** The folder's name. */
  name: z.string(),
  /** Absolute path. */
  path: z.string(),
  source: hubRepoSourceSchema,
  status: hubRepoStatusSchema,
  /** Why the repo cannot be used (missing, uninitialised, config_error) or why its runner stopped in error. */
  error: z.string().nullable(),
  running: z.boolean(),
  runner_pid: int.nullable(),
  outstanding_count: count.nullable(),
  done_count: count.nullable(),
  last_run: z
    .strictObject({ id: int.min(1), exit_code: int.nullable(), finished_at: z.string().nullable() })
    .nullable(),
  tokens: z.strictObject({ last_run: tokenUsageSchema.nullable(), total: tokenUsageSchema.nullable() }),
  /** A usage-limit wait or the agent's question (the state's `waiting`, without its message). */
  waiting: z.strictObject({ reason: z.enum(WAITING_REASONS), until: z.string() }).nullable(),
  /** A start waiting for a free slot: since when, `--once`, place in the hub's queue (1 = next). */
  queued: z.strictObject({ since: z.string(), once: z.boolean(), position: int.min(1) }).nullable(),
});
export type HubRepo = z.output<typeof hubRepoSchema>;

/** `GET /hub/repos` and the hub stream's first event. */
export const hubReposBodySchema = z.strictObject({
  /** Absolute path of the hub's root. */
  root: z.string(),
  /** hub.yml's (or `--max-concurrent-runs`) cap; null: no cap. */
  max_concurrent_runs: int.min(1).nullable(),
  /** Live runners among the repos (a terminal `car run` counts). */
  active_runs: count,
  repos: z.array(hubRepoSchema),
});
export type HubReposBody = z.output<typeof hubReposBodySchema>;

/** What a hub path must be beyond text: no NUL, which would be cut or resolved away (`zz\0/../x` → x). */
export const HUB_PATH_NO_NUL = "a path without NUL characters";

/** A path as hub.yml's `repos:`/`exclude:` and `POST /hub/repos` take it. */
export const hubPathSchema = z
  .string()
  .min(1)
  .refine((s) => !s.includes("\0"), HUB_PATH_NO_NUL);

/** `POST /hub/repos`: a path (absolute, or relative to the hub's root); `init` runs `car init` there first. */
export const hubAddRepoBodySchema = z.strictObject({
  path: hubPathSchema.max(4096),
  init: z.boolean().optional(),
});

/** `DELETE /hub/repos/:id`: forgotten from hub.yml (a discovered repo is added to `exclude:`). */
export const hubRemoveRepoBodySchema = z.strictObject({
  removed: z.literal(true),
  id: z.string(),
  path: z.string(),
  /** The repo was discovered, so it went into hub.yml's `exclude:` (else out of `repos:`). */
  excluded: z.boolean(),
});

/**
 * The events of `GET /hub/stream` (same conventions as the per-repo stream: ids, `Last-Event-ID`
 * replay, pings). `repos` comes first on connect (and when a replay is impossible), then `repo`
 * whenever a repo's summary changes and `removed` when one leaves the hub.
 */
export const HUB_STREAM_EVENTS = {
  repos: hubReposBodySchema,
  repo: z.strictObject({ repo: hubRepoSchema, active_runs: count }),
  removed: z.strictObject({ id: z.string(), active_runs: count }),
  ping: z.strictObject({ ts: z.string() }),
  error: apiErrorSchema,
};

type Data<E> = { [K in keyof E]: E[K] extends z.ZodType ? z.output<E[K]> : never };
export type HubStreamEventData = Data<typeof HUB_STREAM_EVENTS>;
export type HubStreamEventName = keyof HubStreamEventData;
