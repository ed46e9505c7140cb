// PLACEHOLDER until the real-Codex work lands: behaves like the plain backend.
// Owner: the codex backend work (issue 5). Replace this whole file.
import type { AgentBackend } from "./backend.js";

export const codexJsonBackend: AgentBackend = {
  name: "codex-json",
  keepsRawEvents: true,
  createParser() {
    return {
      push: (_stream, raw) => [raw],
      finish: (exit) => ({
        failure: exit.code === 0 ? null : { kind: "fatal", message: `agent exited ${exit.code ?? exit.signal}` },
        thread_id: null,
        final_message: null,
        usage: null,
        commands: [],
        files_changed: [],
      }),
    };
  },
};
