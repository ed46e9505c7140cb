/**
 * Splits `$VISUAL`/`$EDITOR` into words the way a shell would for simple cases: whitespace separates,
 * '…' is literal, "…" allows \" and \\, a backslash outside quotes escapes the next char.
 * Enough for `code --wait`, `"/Applications/My Editor/bin/ed" -w`, `emacsclient -t`.
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === "\\" && (command[i + 1] === '"' || command[i + 1] === "\\")) word += command[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in editor command: ${command}`);
  if (inWord) words.push(word);
  return words;
}

/** The editor command to run: $VISUAL, else $EDITOR, else vi. */
export function editorCommand(env: NodeJS.ProcessEnv = process.env): { words: string[]; from: string } {
  for (const name of ["VISUAL", "EDITOR"] as const) {
    const v = env[name];
    if (v && v.trim() !== "") return { words: splitCommand(v), from: `$${name}` };
  }
  return { words: ["vi"], from: "default" };
}
