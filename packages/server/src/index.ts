// @codex-autorunner/server: the HTTP API (Hono) with SSE, run control and chat; serves the web UI.
export { type AppDeps, type CarApp, createApp } from "./app.js";
export { type ApiErrorBody, type ApiErrorCode, statusForCode } from "./errors.js";
export { createHubApp, type HubApp, type HubAppDeps } from "./hub/app.js";
export { type RunningHubServer, type StartHubServerOptions, startHubServer } from "./hub/start.js";
export type { StateBody } from "./routes/state.js";
export { isLoopbackHost } from "./security.js";
export {
  type RunningServer,
  type ServerAuth,
  type StartServerOptions,
  serverVersion,
  startServer,
} from "./start.js";
export { loadOrCreateServerToken, SERVER_TOKEN_FILE, type ServerTokenFile } from "./token-file.js";
