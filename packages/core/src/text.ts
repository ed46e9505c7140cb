/** A cost in US dollars: "$0.0133" (four decimals below a dollar: offline runs cost fractions of a cent), "$1.25". */
export function formatUsd(amount: number): string {
  return `$${amount.toFixed(amount < 1 ? 4 : 2)}`;
}

/** `text` cut to `max` characters, the last one "…" when anything was cut. */
export function clipText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
