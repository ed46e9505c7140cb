// Which notification an engine event makes (issue 13). The runner feeds every EngineEvent through a
// NotifyTracker; it keeps the little it needs from earlier events (TODO counts, the invocation's
// usage, the open run) so each notification is complete without the engine passing anything else.
import { addUsage } from "../runs/record.js";
import type { EngineEvent, RunOutcome, TodoCounts, TokenUsage } from "../types.js";
import { type NotifyEvent, notifyEvent } from "./event.js";

const FAILED: readonly RunOutcome[] = ["failed", "timed_out", "stalled"];

export class NotifyTracker {
  #todo: TodoCounts | null = null;
  #usage: TokenUsage | null = null;
  #runId: number | null = null;

  constructor(
    private readonly repo: NotifyEvent["repo"],
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The notifications `e` makes (none for most events), in the order they should be sent. */
  events(e: EngineEvent): NotifyEvent[] {
    // Called for every event, one per line of agent output: nothing is built for those.
    if (e.type === "log" || e.type === "state") return [];
    const base = { repo: this.repo, at: this.now().toISOString() };
    switch (e.type) {
      case "run.started":
        this.#runId = e.runId;
        this.#todo = e.todo;
        return [];
      case "run.ended": {
        const r = e.record;
        this.#todo = r.todo_after ?? r.todo_before;
        if (r.usage) this.#usage = addUsage(this.#usage, r.usage);
        const common = { ...base, run_id: r.id, reason: r.outcome, todo: this.#todo, usage: r.usage };
        const out = [notifyEvent({ ...common, event: "run_finished", message: r.error })];
        // killed / interrupted runs end the loop: loop_stopped says why, once.
        if (r.outcome !== null && FAILED.includes(r.outcome))
          out.unshift(notifyEvent({ ...common, event: "run_failed", message: r.error }));
        return out;
      }
      case "waiting": {
        const w = e.waiting;
        const common = { ...base, run_id: e.runId ?? this.#runId, todo: this.#todo, until: w.until };
        if (w.reason === "needs_input") {
          return [
            notifyEvent({
              ...common,
              event: "needs_input",
              reason: "needs_input",
              message: w.message ?? null,
            }),
          ];
        }
        return [notifyEvent({ ...common, event: "waiting", reason: w.reason, message: w.message ?? null })];
      }
      case "resumed":
        return [
          notifyEvent({ ...base, event: "resumed", run_id: e.runId, reason: e.reason, todo: this.#todo }),
        ];
      case "loop.stopped": {
        const killed = e.reason === "aborted" && e.detail?.startsWith("killed by") === true;
        return [
          notifyEvent({
            ...base,
            event: "loop_stopped",
            run_id: this.#runId,
            reason: killed ? "killed" : e.reason,
            message: e.detail ?? null,
            todo: this.#todo,
            usage: this.#usage,
          }),
        ];
      }
      default:
        return [];
    }
  }
}
