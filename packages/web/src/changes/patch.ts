/** A unified diff split into lines with a kind each, for colouring (no parsing beyond the line's first characters). */

export type PatchLineKind = "file" | "meta" | "hunk" | "add" | "del" | "ctx";

export interface PatchLine {
  kind: PatchLineKind;
  text: string;
}

const META =
  /^(?:index |new file mode|deleted file mode|old mode|new mode|similarity index|rename (?:from|to) |copy (?:from|to) |Binary files |\\ No newline)/;

/**
 * `diff --git` starts a file; inside its header `---`/`+++` name the sides (not lines removed or
 * added); after `@@` the first character says what the line is.
 */
export function classifyPatch(patch: string): PatchLine[] {
  const out: PatchLine[] = [];
  let inHeader = false;
  const lines = patch.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const text of lines) {
    let kind: PatchLineKind;
    if (text.startsWith("diff --git ")) {
      kind = "file";
      inHeader = true;
    } else if (text.startsWith("@@")) {
      kind = "hunk";
      inHeader = false;
    } else if (inHeader || META.test(text)) kind = "meta";
    else if (text.startsWith("+")) kind = "add";
    else if (text.startsWith("-")) kind = "del";
    else kind = "ctx";
    out.push({ kind, text });
  }
  return out;
}
