import type { ComponentChildren } from "preact";

export function Banner({
  tone,
  children,
  onDismiss,
  testId,
}: {
  tone: "error" | "warn" | "info" | "ok";
  children: ComponentChildren;
  onDismiss?: () => void;
  testId?: string;
}) {
  return (
    <div class={`banner banner-${tone}`} role={tone === "error" ? "alert" : "status"} data-testid={testId}>
      <div class="banner-body">{children}</div>
      {onDismiss && (
        <button type="button" class="btn-icon" onClick={onDismiss} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  );
}
