// Shared by the verify tests (not part of the library).
import { commandPassed, type VerifyCommandResult } from "./result.js";

/** A command result: `pnpm test` passing in 1.2 s unless overridden (passed follows unless given). */
export function result(over: Partial<VerifyCommandResult> = {}): VerifyCommandResult {
  const r = {
    name: "test",
    command: "pnpm test",
    exit_code: 0,
    signal: null,
    timed_out: false,
    timeout_seconds: null,
    duration_ms: 1200,
    output_tail: "",
    ...over,
  };
  return { ...r, passed: over.passed ?? commandPassed(r) };
}
