// Secrets out of any text we show: an error may echo a URL holding a token (Telegram's has the bot's
// token in its path; a Slack webhook URL is a credential) or a receiver may echo our headers.

export const REDACTED = "***";

/** `user:password@` in any URL (fetch quotes such a URL when it refuses it). */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;

/**
 * `text` with every occurrence of each secret (also percent-encoded, as URLs print it) and any
 * `user:password@` of a URL replaced by `***`. Longer secrets first, so one containing another is
 * replaced whole.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s === "") continue;
    forms.add(s);
    for (const encode of [encodeURIComponent, encodeURI]) {
      try {
        forms.add(encode(s));
      } catch {
        // A lone surrogate cannot be percent-encoded, so it cannot appear encoded either.
      }
    }
  }
  let out = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join(REDACTED);
  return out.replace(URL_CREDENTIALS, `$1${REDACTED}@`);
}
