/**
 * Agent text printed to a terminal must not drive it: an OSC can retitle the window or write the
 * clipboard, a CSI can clear the screen or move the cursor over earlier output. Every control
 * character except tab and newline is shown instead of sent: C0 and DEL as their Unicode Control
 * Pictures (ESC → ␛, BEL → ␇; the log already writes NUL as ␀), C1 (U+0080–U+009F, which some
 * terminals read as ESC-sequences too) as `\u009b`-style text.
 */

const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

function visible(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return "\u2421";
  return `\\u${code.toString(16).padStart(4, "0")}`;
}

/** `text` with every control character except `\t` and `\n` made visible (see above). */
export function makeTerminalSafe(text: string): string {
  return text.replace(UNSAFE, visible);
}
