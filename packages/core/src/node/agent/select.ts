import type { AgentBackend } from "./backend.js";
import { codexJsonBackend } from "./codex-json.js";
import { plainBackend } from "./plain.js";

/** `codex exec --json` prints JSONL events; anything else is read as plain text lines. */
export function selectBackend(args: readonly string[]): AgentBackend {
  return args.includes("--json") ? codexJsonBackend : plainBackend;
}
