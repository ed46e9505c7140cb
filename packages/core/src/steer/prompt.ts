import type { SteerMessage } from "./message.js";

/**
 * What the next run is told about steering messages: a `<STEERING>` block with every message claimed
 * for it, oldest first, each with when it was sent. Meant for a `{{STEERING}}` placeholder whose value
 * is the block followed by a blank line, or "" when there are none (like `{{EXTRAS}}` and `{{VERIFY}}`,
 * so a template needs no blank line of its own around it).
 */
export function renderSteering(
  messages: readonly Pick<SteerMessage, "id" | "text" | "created_at">[],
): string {
  if (messages.length === 0) return "";
  const sorted = [...messages].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const lines = [
    "<STEERING>",
    sorted.length === 1
      ? "The developer sent this message while the loop was running. Act on it in this run; where it conflicts with TODO or OPINIONS, the message wins."
      : `The developer sent these ${sorted.length} messages while the loop was running (oldest first). Act on them in this run; where one conflicts with TODO, OPINIONS or an earlier message, the later message wins.`,
  ];
  sorted.forEach((m, i) => {
    lines.push("", `Message ${i + 1} (sent ${sentAt(m.created_at)}):`, m.text.replace(/\s+$/, ""));
  });
  lines.push("</STEERING>");
  return `${lines.join("\n")}\n\n`;
}

/** "2026-12-04 22:11:31 UTC": readable, unambiguous, independent of the machine's time zone. */
function sentAt(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
