import type { EngineEvent, RunRecord } from "@codex-autorunner/core";
import { LineBatcher, type LineSink } from "./line-batcher.js";
import { StatusLine } from "./status-line.js";
import { type Colors, clockTime, colors, formatDuration, timeUntil, useColor } from "./tty.js";

/** Renders the engine's events for `car run` / `once` / `resume`. */
export interface RunView {
  onEvent(event: EngineEvent): void;
  /** A message from car itself (not the agent), e.g. "interrupting…". */
  note(message: string, stream?: "stdout" | "stderr"): void;
  /** Removes the live line; call before printing the final summary. */
  finish(): void;
}

function endText(record: RunRecord): string {
  if (record.exit_code !== null) return `code ${record.exit_code}`;
  if (record.signal) return `signal ${record.signal}`;
  return record.outcome ?? "unknown";
}

export interface RunViewOptions {
  live: boolean;
  /**
   * Core's `makeTerminalSafe`, applied to every text that comes from the agent (or git, or a model
   * error) so it cannot drive the terminal. Passed in because this module loads before core does.
   */
  safe: (text: string) => string;
}

/**
 * `live`: a status line redrawn in place below the agent's output (stdout must be a TTY).
 * Otherwise plain lines: agent stdout lines on stdout, agent stderr lines on stderr, run markers on stdout.
 * Output is gathered per tick (see LineBatcher): call `finish()` before printing anything else.
 */
export function createRunView(opts: RunViewOptions): RunView {
  const { safe } = opts;
  const c: Colors = colors(opts.live && useColor(process.stdout));
  const status = opts.live ? new StatusLine(process.stdout, c.cyan) : null;
  status?.start();

  // Lines of one tick go out in one write (an agent can print a million lines a second); the status
  // line, when there is one, is redrawn once per batch instead of once per line.
  const batcher = new LineBatcher();
  const live: LineSink | null = status ? { write: (text: string) => status.print(text) } : null;
  const print = (line: string, stream: "stdout" | "stderr" = "stdout") => {
    batcher.write(live ?? (stream === "stdout" ? process.stdout : process.stderr), `${line}\n`);
  };
  // A process.exit() elsewhere must not lose what is gathered (stdout/stderr writes are synchronous).
  const flushOnExit = () => batcher.flush();
  process.once("exit", flushOnExit);

  return {
    onEvent(e) {
      switch (e.type) {
        case "run.started": {
          const attempt = e.attempt > 1 ? c.yellow(` (attempt ${e.attempt})`) : "";
          print(c.bold(`=== run ${e.runId} start ===`) + attempt);
          status?.setRun(e.runId);
          status?.setTodo(e.todo.done, e.todo.outstanding);
          break;
        }
        case "log": {
          const line = safe(e.line);
          if (e.stream === "stderr") print(status ? c.dim(line) : line, "stderr");
          else print(line);
          break;
        }
        case "run.ended": {
          const r = e.record;
          const ok = r.exit_code === 0;
          const marker = `=== run ${e.runId} end (${endText(r)}) ===`;
          const parts: string[] = [];
          if (r.outcome && r.outcome !== "completed") parts.push(r.outcome);
          if (r.duration_ms !== null) parts.push(formatDuration(r.duration_ms));
          if (r.todo_after) {
            parts.push(`TODO ${r.todo_after.done}/${r.todo_after.done + r.todo_after.outstanding} done`);
            status?.setTodo(r.todo_after.done, r.todo_after.outstanding);
          }
          print(
            `${ok ? c.green(marker) : c.red(marker)}${parts.length ? c.dim(`  ${parts.join(" · ")}`) : ""}`,
          );
          // A failed commit is not repeated here: its `[car] git commit failed: …` line came as a log event.
          status?.setPhase("between runs");
          break;
        }
        case "retry":
          print(
            c.yellow(
              `retrying run ${e.runId} (attempt ${e.attempt}) in ${formatDuration(e.delayMs)}: ${safe(e.reason)}`,
            ),
            "stderr",
          );
          status?.setPhase("waiting to retry");
          break;
        case "waiting": {
          const w = e.waiting;
          const msg = w.message ? safe(w.message) : "";
          if (w.reason === "needs_input") {
            print(
              c.yellow(`the agent asks: ${msg || "(no question given)"} — answer with \`car steer "…"\``),
            );
            status?.setPhase("waiting for your answer (car steer)");
          } else {
            const left = timeUntil(w.until, Date.now());
            const at = `${clockTime(w.until)}${left !== null ? ` (${left})` : ""}`;
            print(c.yellow(`usage limit: waiting until ${at}${msg ? `: ${msg}` : ""}`), "stderr");
            status?.setPhase(`usage limit: waiting until ${clockTime(w.until)}`);
          }
          break;
        }
        case "resumed":
          print(
            c.yellow(
              e.reason === "needs_input"
                ? "resumed: a steering message arrived"
                : "resumed: the usage-limit wait is over",
            ),
            "stderr",
          );
          status?.setPhase("between runs");
          break;
        case "state":
        case "loop.stopped":
          break;
      }
    },
    note(message, stream = "stderr") {
      print(c.yellow(message), stream);
    },
    finish() {
      batcher.flush();
      process.off("exit", flushOnExit);
      status?.stop();
    },
  };
}
