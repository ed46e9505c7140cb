import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import type { SteerListBody } from "@codex-autorunner/core";
import type { CommandModule } from "yargs";
import { localDateTime, stderrColors, stdoutColors } from "../output/tty.js";
import { err, type GlobalArgs, invocation, loadCore, out, repoRoot } from "./common.js";

interface SteerArgs extends GlobalArgs {
  message?: string;
  file?: string;
  list?: boolean;
  json?: boolean;
  clear?: boolean;
  delete?: string;
}

/**
 * Most bytes read from a file or stdin: well over core's message limit (leading/trailing space is
 * trimmed first), and a bound, so `--file /dev/zero` or an endless pipe cannot grow memory.
 */
const READ_MAX_BYTES = 1024 * 1024;

/** The message's text: the argument, a file, or stdin (`-`). Size limits are core's (normalizeSteerText). */
async function messageText(argv: SteerArgs): Promise<string> {
  const core = await loadCore();
  const tooLarge = (what: string) =>
    new core.CarError(
      "INVALID_ARGUMENT",
      `${what} is over ${READ_MAX_BYTES} bytes; a steering message is at most ${core.STEER_MAX_BYTES}`,
      {
        key: "message",
        expected: `at most ${core.STEER_MAX_BYTES} bytes`,
        reason: "steer_too_large",
      },
    );
  if (argv.file !== undefined) {
    const path = resolve(process.cwd(), argv.file);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 })) {
        size += (chunk as Buffer).length;
        if (size > READ_MAX_BYTES) throw tooLarge(`--file ${argv.file}`);
        chunks.push(chunk as Buffer);
      }
    } catch (e) {
      if (core.isCarError(e)) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new core.CarError(
        "INVALID_ARGUMENT",
        `--file ${argv.file}: ${code === "ENOENT" ? "no such file" : `cannot read it (${code ?? (e as Error).message})`}`,
        { file: path },
      );
    }
    return Buffer.concat(chunks).toString("utf8");
  }
  if (argv.message === "-" || (argv.message === "" && invocation.argv.includes("-"))) {
    if (process.stdin.isTTY) err("car: reading the message from stdin; end it with Ctrl-D");
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin) {
      size += (chunk as Buffer).length;
      if (size > READ_MAX_BYTES) throw tooLarge("stdin");
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString("utf8");
  }
  return argv.message ?? "";
}

function printList(body: SteerListBody, safe: (t: string) => string): void {
  const c = stdoutColors();
  if (body.messages.length === 0) out("car: no steering messages");
  for (const m of body.messages) {
    const where = m.run_id !== null ? ` → run ${m.run_id}` : "";
    const state =
      m.state === "pending"
        ? c.yellow(m.state)
        : m.state === "delivered"
          ? c.green(m.state)
          : c.cyan(m.state);
    out(`${c.bold(m.id)}  ${localDateTime(m.created_at)}  ${state}${where}`);
    for (const line of safe(m.text).split("\n")) out(`    ${line}`);
  }
  for (const f of body.corrupt) {
    err(
      stderrColors().yellow(
        `car: unreadable steering file ${safe(f.file)}: ${safe(f.error)} (\`car steer --delete\` removes it)`,
      ),
    );
  }
}

/**
 * `car steer`: queue a message for the running loop's next run (core's steering queue; one file per
 * message, so concurrent writers never lose one), list, clear or delete them.
 */
export const steerCommand: CommandModule<object, SteerArgs> = {
  command: "steer [message]",
  describe: "Queue a message for the agent's next run (or list, clear, delete queued messages)",
  builder: (y) =>
    y
      .positional("message", { type: "string", describe: 'The message; "-" reads it from stdin' })
      .option("file", { type: "string", describe: "Read the message from this file" })
      .option("list", { type: "boolean", describe: "List pending and delivered messages" })
      .option("json", { type: "boolean", describe: "With --list: print the GET /api/steer body as JSON" })
      .option("clear", { type: "boolean", describe: "Remove every pending message" })
      .option("delete", { type: "string", describe: "Remove the message with this id" })
      .check((a) => {
        const modes = [
          a.message !== undefined && "a message",
          a.file !== undefined && "--file",
          a.list && "--list",
          a.clear && "--clear",
          a.delete !== undefined && "--delete",
        ].filter(Boolean);
        if (modes.length === 0)
          throw new Error('Give a message, --file F, "-" (stdin), --list, --clear or --delete ID');
        if (modes.length > 1) throw new Error(`Use one of ${modes.join(", ")} at a time`);
        if (a.json && !a.list) throw new Error("--json goes with --list");
        return true;
      })
      .example('car steer "use the existing logger, not console.log"', "the next run's prompt carries it")
      .example("car steer --file notes.md", "a longer message from a file")
      .example("git diff | car steer -", "from stdin")
      .example("car steer --list", "pending and delivered messages, with the run each went to")
      .epilogue(
        'When the agent asked a question (NEEDS_INPUT, `car status` shows it), `car steer "<answer>"` answers it and the loop goes on.',
      ) as never,
  handler: async (argv) => {
    const root = await repoRoot(argv);
    const core = await loadCore();
    const paths = core.carPaths(root);
    const safe = core.makeTerminalSafe;
    if (argv.list) {
      const body: SteerListBody = await core.listSteer(paths.steerDir);
      if (argv.json) out(JSON.stringify(body, null, 2));
      else printList(body, safe);
      return;
    }
    if (argv.clear) {
      const n = await core.clearPendingSteer(paths.steerDir);
      out(`car: removed ${n} pending message${n === 1 ? "" : "s"}`);
      return;
    }
    if (argv.delete !== undefined) {
      const removed = await core.deleteSteer(paths.steerDir, argv.delete);
      if (!removed) {
        throw new core.CarError(
          "INVALID_ARGUMENT",
          `no steering message ${argv.delete} (\`car steer --list\` shows the ids)`,
          { key: "id", found: argv.delete, reason: "steer_not_found" },
        );
      }
      const where = removed.run_id !== null ? `, delivered to run ${removed.run_id}` : "";
      out(`car: deleted ${removed.id} (${removed.state}${where})`);
      return;
    }
    // Without `car init` there is no .gitignore to keep the queue out of git: CONFIG_NOT_FOUND says to
    // run it. A broken config.yml does not stop steering (the queue's path is fixed).
    await core.loadConfigLenient(root);
    const m = await core.queueSteer(paths, await messageText(argv));
    // Where it goes next; the message is queued whatever status says (or fails to say).
    const status = await core.getStatus(root, { tolerateConfigError: true }).catch(() => null);
    const next =
      status?.status === "waiting_input"
        ? "the waiting loop picks it up within a few seconds"
        : status && !status.running
          ? "no loop is running: the next `car run` or `car resume` gets it"
          : "the loop's next run gets it";
    out(`car: queued ${m.id}; ${next} (\`car steer --list\` shows where it went)`);
  },
};
