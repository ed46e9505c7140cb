// Process tracking: liveness (zombie-aware), a run's processes (marker, group, descendants), ending
// them, and the lifeline that ends them when the runner dies.
export { chainMarker, environHasMarker, RUN_MARKER_ENV } from "../../proc/marker.js";
export { type ProcStat, parseProcStat, type RunTarget, selectRunProcesses } from "../../proc/stat.js";
export { type EndOptions, type EndResult, endRunProcesses } from "./end.js";
export { findLifelines, type Lifeline, lifelineMainPath, startLifeline } from "./lifeline.js";
export { newRunMarker } from "./marker.js";
export {
  findRunProcesses,
  groupExists,
  isProcessAlive,
  killProcessGroup,
  processStartTime,
  readProcStat,
} from "./procfs.js";
