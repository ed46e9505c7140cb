import { type LogLine, shortTime } from "../logs/classify.js";

/** Log lines with a class per kind (stderr, run markers) and a short local time. */
export function LogLines({
  lines,
  testId,
  compact,
}: {
  lines: readonly LogLine[];
  testId?: string;
  compact?: boolean;
}) {
  return (
    <div class={`log${compact ? " log-compact" : ""}`} data-testid={testId} role="log" aria-live="off">
      {lines.map((l) => (
        <div key={l.key} class={`ll ll-${l.kind}`} data-kind={l.kind}>
          {l.ts && (
            <span class="ll-ts" title={l.ts}>
              {shortTime(l.ts)}
            </span>
          )}
          {l.kind === "stderr" && <span class="sr-only">stderr: </span>}
          <span class="ll-text">{l.text}</span>
        </div>
      ))}
    </div>
  );
}
