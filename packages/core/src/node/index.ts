// Public API of @codex-autorunner/core/node: the pure API plus files, processes, locks, the loop.
// Every name is listed on purpose (packages/core/README.md documents them); modules not named here are
// internal. A new capability adds its own lines here.
export * from "../index.js";
// Agents: the backend seam and the Codex probe.
export type { AgentBackend, AgentFailure, AgentRunSummary, RunOutputParser } from "./agent/backend.js";
export { type CodexProbe, probeCodex } from "./agent/codex-probe.js";
// Chat (read-only questions about the repo).
export { type ChatOptions, runChat } from "./chat.js";
// Verification gates and checkpoints (issue 12).
export {
  DEFAULT_PATCH_MAX_BYTES,
  type DiffOptions,
  diffFiles,
  diffRun,
  diffRunCheckpoints,
  type RollbackOptions,
  type RollbackResult,
  type RollbackRunOptions,
  RunCheckpoints,
  type RunDiff,
  type RunDiffBodyOptions,
  readCheckpoint,
  rollback,
  rollbackRun,
  runDiffBody,
  type TakenCheckpoint,
  takeCheckpoint,
  undoRollback,
  undoRollbackRun,
} from "./checkpoint/index.js";
export { CONFIG_FILE, type LoadedConfig, loadConfig, updateConfigFile } from "./config-io.js";
export {
  type KillResult,
  killRunner,
  requestStop,
  type StartOptions,
  startDetachedRunner,
} from "./control.js";
export {
  type DocContent,
  docKinds,
  docPath,
  readDoc,
  type WriteDocOptions,
  writeDoc,
} from "./docs.js";
export { type DoctorCheck, type DoctorOptions, type DoctorReport, runDoctor } from "./doctor.js";
// The loop, its control from other processes, its status.
export { type LoopOptions, type LoopResult, runLoop } from "./engine/loop.js";
export { isErrno, readTextIfExists, writeFileAtomic } from "./fs/atomic.js";
// The hub (issue 14): many repos, one server, a concurrency cap.
export * from "./hub/index.js";
export { type InitOptions, type InitResult, initRepo } from "./init.js";
export { type LockStatus, lockStatus, parseLock, readLock } from "./lock.js";
// The log and the run records.
export { type FollowLogOptions, followLog, type LogFollower } from "./log/follow.js";
export { LogReader } from "./log/reader.js";
export { LogWriter } from "./log/writer.js";
export * from "./notify/index.js";
export { CAR_DIR, type CarPaths, carPaths, findRepoRoot, resolveRepoPath } from "./paths.js";
export { findLifelines, type Lifeline, startLifeline } from "./proc/lifeline.js";
export { findRunProcesses, isProcessAlive } from "./proc/procfs.js";
// A repository: paths, config, docs, init, doctor.
export { openRepo, type Repo } from "./repo.js";
export {
  listRunRecords,
  type RunRecordPage,
  readRawEvents,
  readRunRecord,
  writeRunRecord,
} from "./runs-store.js";
export { readState } from "./state-store.js";
export { getStatus, loadConfigLenient, type StatusOptions, type StatusReport } from "./status.js";
export * from "./steer/index.js";
export { type RunVerifyOptions, runVerify } from "./verify/index.js";
