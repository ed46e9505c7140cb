import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { chooseAgent } from "../agents/choose.js";
import type { Config } from "../config/schema.js";
import type { ChatResult } from "../contract/sse.js";
import { CarError, isCarError } from "../errors.js";
import { formatTimestamp } from "../log/format.js";
import { buildChatPrompt, type PromptDoc } from "../prompt/template.js";
import type { LogStream } from "../types.js";
import { agentDefinition } from "./agent/agents.js";
import { exitCodeOf, spawnAgent } from "./agent/spawn.js";
import { loadConfig } from "./config-io.js";
import { readDoc } from "./docs.js";
import { carPaths } from "./paths.js";
import { readState } from "./state-store.js";

/**
 * One-off chat with the agent about the repo (`POST /api/chat`). It runs the agent once with
 * `chat.args` (a read-only sandbox by default) and the chat prompt, and never touches the loop's
 * state: no state.json write, no run id, no lock, so it can run while the loop does. Its output goes
 * to `.codex-autorunner/chats/<chat_id>.log` (covered by the `*.log` rule of the folder's .gitignore).
 */
export interface ChatOptions {
  message: string;
  /** Include the doc as read-only context (default true each). */
  include_todo?: boolean;
  include_progress?: boolean;
  include_opinions?: boolean;
  /** Every readable line of the agent's output as it arrives (for streaming to a client). */
  onLine?: (stream: LogStream, line: string) => void;
  /** Aborting kills the agent's process group. */
  signal?: AbortSignal;
  /** Defaults to the repo's config.yml. */
  config?: Config;
  env?: NodeJS.ProcessEnv;
  /** Grace between SIGTERM and SIGKILL when aborted (default runner.kill_grace_seconds). */
  killGraceMs?: number;
}

export function newChatId(now: Date = new Date()): string {
  const ts = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `chat-${ts}-${randomBytes(4).toString("hex")}`;
}

async function contextDoc(
  root: string,
  config: Config,
  kind: "todo" | "progress" | "opinions",
): Promise<PromptDoc | null> {
  try {
    const doc = await readDoc(root, config, kind);
    return { path: config.docs[kind], content: doc.content };
  } catch (err) {
    if (isCarError(err, "DOC_MISSING")) return null;
    throw err;
  }
}

export async function runChat(root: string, options: ChatOptions): Promise<ChatResult> {
  if (typeof options.message !== "string" || options.message.trim() === "") {
    throw new CarError("INVALID_ARGUMENT", "The chat message is empty: write a question or an instruction.", {
      key: "message",
      expected: "a non-empty string",
    });
  }
  const config = options.config ?? (await loadConfig(root)).config;
  const [todo, progress, opinions] = await Promise.all([
    options.include_todo === false ? null : contextDoc(root, config, "todo"),
    options.include_progress === false ? null : contextDoc(root, config, "progress"),
    options.include_opinions === false ? null : contextDoc(root, config, "opinions"),
  ]);
  const prompt = buildChatPrompt({ message: options.message, todo, progress, opinions });

  const chatId = newChatId();
  const chatsDir = join(carPaths(root, config).dir, "chats");
  await fsp.mkdir(chatsDir, { recursive: true });
  const logRel = `.codex-autorunner/chats/${chatId}.log`;
  const log = await fsp.open(join(chatsDir, `${chatId}.log`), "a");
  try {
    let writes: Promise<unknown> = log.appendFile(`=== ${chatId} start ===\n`).catch(() => {});
    const append = (text: string) => {
      writes = writes.then(() => log.appendFile(text)).catch(() => {});
    };

    // The loop's agent answers (the fallback while runner.agent sits out a usage limit), with its
    // read-only chat arguments.
    const limits = (await readState(carPaths(root, config)).catch(() => null))?.agent_limits;
    const { agent: agentName } = chooseAgent({
      primary: config.runner.agent,
      fallback: config.runner.fallback_agent,
      limits,
      now: new Date(),
    });
    const definition = agentDefinition(agentName);
    const { binary, args } = definition.command(config, "chat");
    const backend = definition.backend(args);
    const parser = backend.createParser({ cwd: root });
    const output: string[] = [];
    if (options.signal?.aborted)
      throw new CarError("INVALID_ARGUMENT", "The chat was cancelled before it started.");
    const agent = await spawnAgent({
      binary,
      binaryKey: `${definition.section}.binary`,
      args,
      cwd: root,
      env: options.env ?? process.env,
      stdin: prompt,
      sanitize: !backend.keepsRawEvents,
      onLine: (stream, raw) => {
        let lines: string[];
        try {
          lines = parser.push(stream, raw);
        } catch (err) {
          lines = [`[car] could not parse agent output: ${(err as Error).message}`];
        }
        for (const line of lines) {
          output.push(line);
          append(`[${formatTimestamp()}] ${stream}: ${line}\n`);
          options.onLine?.(stream, line);
        }
      },
    });
    const graceMs = options.killGraceMs ?? config.runner.kill_grace_seconds * 1000;
    const onAbort = () => void agent.kill(graceMs);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    let exit: Awaited<typeof agent.exited>;
    try {
      exit = await agent.exited;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
    const summary = parser.finish({ code: exit.code, signal: exit.signal });
    const code = exitCodeOf(exit);
    append(`=== ${chatId} end (code ${code ?? "?"}) ===\n`);
    await writes;
    if (options.signal?.aborted) {
      throw new CarError("AGENT_FAILED", "The chat was cancelled; the agent was stopped.", {
        chat_id: chatId,
      });
    }
    if (code !== 0 || summary.failure) {
      const why = summary.failure?.message ?? `the agent exited with code ${code ?? exit.signal ?? "?"}`;
      throw new CarError("AGENT_FAILED", `The chat agent failed: ${why} (output in ${logRel}).`, {
        chat_id: chatId,
        file: logRel,
        exit_code: code,
      });
    }
    return {
      chat_id: chatId,
      response: summary.final_message ?? output.join("\n"),
      exit_code: code,
      log: logRel,
    };
  } finally {
    await log.close();
  }
}
