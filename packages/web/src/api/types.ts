/**
 * Names the UI uses for the server's shapes. Every one is core's contract type (contract/ in
 * @codex-autorunner/core): nothing here is a second definition.
 */
import type { LogEventData, RouteResponse, RunEventData, StateBody, TodoEntry } from "@codex-autorunner/core";

/** GET /api/state, also the data of SSE `event: state` (and what `car status --json` prints). */
export type StateResponse = StateBody;
/** GET/PUT /api/docs/:kind */
export type DocResponse = RouteResponse<"doc">;
/** GET /api/docs */
export type DocsIndexResponse = RouteResponse<"docs">;
/** GET /api/runs */
export type RunsPage = RouteResponse<"runs">;
/** GET /api/logs */
export type LogsResponse = RouteResponse<"logs">;
/** GET /api/steer */
export type SteerList = RouteResponse<"steerList">;

export type { LogEventData, RunEventData, TodoEntry };
