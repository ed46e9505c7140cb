import { execGit, gitError } from "../git-exec.js";

/**
 * The bytes of each blob in `oids`, in order, from one `git cat-file --batch`. Null when the output
 * would pass `maxBytes` (git is stopped). A missing object or a git failure is an error naming it.
 */
export async function readBlobs(
  top: string,
  oids: readonly string[],
  maxBytes?: number,
): Promise<Buffer[] | null> {
  if (oids.length === 0) return [];
  const args = ["cat-file", "--batch"];
  const r = await execGit(top, args, { input: `${oids.join("\n")}\n`, maxStdoutBytes: maxBytes });
  if (r.truncated) return null;
  if (r.code !== 0) throw gitError(top, args, r);
  const out = r.stdout;
  const blobs: Buffer[] = [];
  let pos = 0;
  for (const oid of oids) {
    // "<oid> blob <size>\n<content>\n"
    const eol = out.indexOf(0x0a, pos);
    const header = out.subarray(pos, eol < 0 ? out.length : eol).toString("latin1");
    const size = Number(/ blob (\d+)$/.exec(header)?.[1] ?? Number.NaN);
    if (eol < 0 || !Number.isSafeInteger(size)) {
      throw gitError(top, args, {
        code: 1,
        stdout: Buffer.alloc(0),
        stderr: `not a blob: ${oid} (${header})`,
      });
    }
    blobs.push(out.subarray(eol + 1, eol + 1 + size));
    pos = eol + 1 + size + 1;
  }
  return blobs;
}
