// The HTTP + SSE contract between the server, the web UI and `car status --json` (one file per part).
export * from "./changes.js";
export * from "./errors.js";
export * from "./http.js";
export * from "./hub.js";
export * from "./params.js";
export * from "./records.js";
export * from "./routes.js";
export * from "./sse.js";
export * from "./state.js";
export * from "./steer.js";
