// Running the verify commands (issue 12); the decisions are pure, in src/verify/.
export { type RunVerifyOptions, runVerify } from "./run.js";
