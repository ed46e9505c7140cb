import type { AgentBackend, AgentRunSummary } from "./backend.js";

/**
 * Plain-text agents (the original's `codex exec` without --json, or any script): every line goes to
 * the log as printed, and the exit status is all we learn. A non-zero exit is fatal: plain output
 * carries no reliable signal that a retry would help.
 */
export const plainBackend: AgentBackend = {
  name: "plain",
  keepsRawEvents: false,
  createParser() {
    return {
      verbatim: true,
      push: (_stream, raw) => [raw],
      finish: (exit): AgentRunSummary => ({
        failure:
          exit.code === 0
            ? null
            : { kind: "fatal", message: `agent exited ${exit.code ?? exit.signal ?? "?"}` },
        thread_id: null,
        final_message: null,
        usage: null,
        commands: [],
        files_changed: [],
      }),
    };
  },
};
