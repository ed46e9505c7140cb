export * from "./model-server/index.js";
export * from "./paths.js";
export * from "./proc.js";
export * from "./receiver.js";
export * from "./repo.js";
