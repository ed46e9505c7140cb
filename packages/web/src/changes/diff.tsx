import type { RouteResponse } from "@codex-autorunner/core";
import { useMemo } from "preact/hooks";
import { classifyPatch } from "./patch.js";
import { plural } from "./summary.js";

type RunDiff = RouteResponse<"runDiff">;

const STATUS_MARK = { added: "A", modified: "M", deleted: "D", renamed: "R" } as const;

/** The run's changed files with their line counts, then its patch in a box that scrolls on its own. */
export function DiffView({ diff }: { diff: RunDiff }) {
  const lines = useMemo(() => classifyPatch(diff.patch), [diff.patch]);
  if (diff.files.length === 0) return <p class="muted">This run changed no files.</p>;
  return (
    <>
      <p class="muted small" data-testid="diff-total">
        {plural(diff.files.length, "file")} changed, +{diff.additions} −{diff.deletions}
      </p>
      <ul class="files" data-testid="diff-files">
        {diff.files.map((f) => (
          <li key={f.path}>
            <span class={`fs fs-${f.status}`} title={f.status}>
              {STATUS_MARK[f.status]}
            </span>
            <span class="fp">
              {f.from ? `${f.from} → ` : ""}
              {f.path}
            </span>
            <span class="fc">
              {f.binary ? (
                "binary"
              ) : (
                <>
                  <span class="text-ok">+{f.additions}</span> <span class="text-error">−{f.deletions}</span>
                </>
              )}
            </span>
          </li>
        ))}
      </ul>
      {diff.cut && (
        <p class="muted small" data-testid="diff-cut">
          The patch is cut after {Math.round(diff.cut.shown_bytes / 1024)} KB
          {diff.cut.omitted_files.length > 0 ? `; not shown: ${diff.cut.omitted_files.join(", ")}` : ""}. The
          whole patch: <code>car diff {diff.run_id}</code>.
        </p>
      )}
      <section
        class="patch"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus to scroll by keyboard
        tabIndex={0}
        aria-label={`Patch of run ${diff.run_id}`}
        data-testid="diff-patch"
      >
        <pre>
          {lines.map((l, i) => (
            <span key={i} class={`pl pl-${l.kind}`}>
              {l.text}
              {"\n"}
            </span>
          ))}
        </pre>
      </section>
    </>
  );
}
