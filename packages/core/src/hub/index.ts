// The hub (many repos, one server), pure part: hub.yml, repo ids, the start queue, repo cards.

export { assignHubRepoIds, type HexHash, hubRepoId, pathUnderRoot } from "./ids.js";
export {
  HUB_DEFAULT_DISCOVER_DEPTH,
  HUB_DEFAULT_HOST,
  HUB_DEFAULT_PORT,
  type HubManifest,
  hubManifestSchema,
  parseHubManifest,
  setHubLists,
} from "./manifest.js";
export { type QueuedEntry, queueOrder, queuePositions, startsAllowed } from "./queue.js";
export { emptyHubRepo, type HubRepoIdentity, hubRepoFromStatus, unusableHubRepo } from "./summary.js";
