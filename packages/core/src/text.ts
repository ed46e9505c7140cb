/** `text` cut to `max` characters, the last one "…" when anything was cut. */
export function clipText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
