// The hub (issue 14), Node part: hub.yml on disk, discovery, repo cards, queued starts, the registry.
export { discoverRepos, isDiscoverableRepo } from "./discover.js";
export {
  addToManifest,
  checkNewRepoPath,
  type LoadedHubManifest,
  manifestEntryPath,
  readHubManifest,
  removeFromManifest,
} from "./manifest-io.js";
export { ensureHubDir, HUB_DIR, HUB_MANIFEST, type HubPaths, hubPaths } from "./paths.js";
export {
  clearQueuedStart,
  type QueuedStart,
  queuedStartPath,
  readQueuedStart,
  writeQueuedStart,
} from "./queued.js";
export { HubRegistry, type OpenHubOptions, openHub } from "./registry.js";
export { LocalRepoSource } from "./source.js";
export { type RepoReading, summariseRepo } from "./summary.js";
export type { HubRegistryApi, HubRegistryEvent, HubRepoRef, HubStartResult, RepoSource } from "./types.js";
