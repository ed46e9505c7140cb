// The steering queue's files (issue 13); names, states and the prompt block are pure, in src/steer/.
export { claimSteer, confirmSteer, recoverSteer, releaseSteer } from "./delivery.js";
export { appendSteer, clearPendingSteer, deleteSteer, listSteer, type SteerList } from "./queue.js";
export { ensureSteerIgnored, queueSteer } from "./repo.js";
export { type SteerWaitResult, type WaitForSteerOptions, waitForSteer } from "./wait.js";
