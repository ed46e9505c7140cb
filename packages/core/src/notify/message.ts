// The short human message chat services get (ntfy, Slack, Discord, Telegram): a title line and a few
// lines of detail. Plain text; each format escapes what its service interprets.
import type { NotifyEvent } from "./event.js";
import type { NotifyEventName } from "./settings.js";

export interface HumanMessage {
  /** One line: "<repo>: loop stopped (todo_done)". */
  title: string;
  /** The detail lines (may be empty). */
  body: string;
  /** ntfy tags (emoji short codes). */
  tags: string[];
  /** ntfy priority, 1 (min) … 5 (max). */
  priority: 1 | 2 | 3 | 4 | 5;
}

/** An agent's question or an error can be long: chat messages keep this much of it. */
export const MESSAGE_MAX_CHARS = 1000;

const TAGS: Record<NotifyEventName, string> = {
  loop_stopped: "stop_sign",
  run_failed: "x",
  run_finished: "white_check_mark",
  waiting: "hourglass",
  resumed: "arrow_forward",
  needs_input: "question",
};

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "14:05 UTC" today, else "2026-01-02 14:05 UTC"; the ISO text itself when unparsable. */
export function formatResumeTime(until: string, now: string): string {
  const t = new Date(until);
  if (Number.isNaN(t.getTime())) return until;
  const iso = t.toISOString();
  const hm = iso.slice(11, 16);
  return iso.slice(0, 10) === now.slice(0, 10) ? `${hm} UTC` : `${iso.slice(0, 10)} ${hm} UTC`;
}

function headline(e: NotifyEvent): string {
  const run = e.run_id === null ? "" : ` ${e.run_id}`;
  const why = e.reason ? ` (${e.reason})` : "";
  switch (e.event) {
    case "loop_stopped":
      return e.reason === "todo_done" ? "done: every TODO item is ticked" : `loop stopped${why}`;
    case "run_failed":
      return `run${run} failed${why}`;
    case "run_finished":
      return `run${run} finished`;
    case "waiting":
      return `waiting${why}${e.until ? ` until ${formatResumeTime(e.until, e.at)}` : ""}`;
    case "resumed":
      return "resumed";
    case "needs_input":
      return `run${run} needs your input`;
  }
}

export function humanMessage(e: NotifyEvent): HumanMessage {
  const title = `${e.test ? "[test] " : ""}${e.repo.name}: ${headline(e)}`;
  const lines: string[] = [];
  if (e.message) lines.push(clip(e.message.trim(), MESSAGE_MAX_CHARS));
  if (e.event === "needs_input") lines.push('Answer with: car steer "<answer>"');
  if (e.todo) lines.push(`TODO: ${e.todo.done} done, ${e.todo.outstanding} outstanding`);
  const stoppedBadly = e.event === "loop_stopped" && e.reason !== "todo_done";
  const tags = [e.event === "loop_stopped" && !stoppedBadly ? "white_check_mark" : TAGS[e.event]];
  const priority = e.event === "needs_input" || stoppedBadly ? 4 : e.event === "run_finished" ? 2 : 3;
  return { title, body: lines.join("\n"), tags, priority };
}

/** Title and body as one text (Slack, Discord, Telegram). */
export function messageText(m: HumanMessage): string {
  return m.body === "" ? m.title : `${m.title}\n${m.body}`;
}
