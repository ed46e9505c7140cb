/**
 * Where a size-capped patch was cut. The patch lists the files in the same order as the file list of
 * the same diff (both come from `git diff-tree` with the same options), so the number of file headers
 * in the shown part says which files it covers.
 */

export interface PatchCut {
  /** Bytes of the patch shown (the cut falls on a line end). */
  shown_bytes: number;
  /** The last file the shown part reaches into; its diff may be incomplete. Null: none shown. */
  last_file: string | null;
  /** Files whose diff is not in the shown part at all. */
  omitted_files: string[];
}

const FILE_HEADER = /^diff --git /gm;

export function describePatchCut(
  shown: string,
  shownBytes: number,
  files: readonly { path: string }[],
): PatchCut {
  const headers = shown.match(FILE_HEADER)?.length ?? 0;
  return {
    shown_bytes: shownBytes,
    last_file: headers > 0 ? (files[headers - 1]?.path ?? null) : null,
    omitted_files: files.slice(headers).map((f) => f.path),
  };
}
