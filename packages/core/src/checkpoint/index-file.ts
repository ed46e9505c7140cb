/**
 * The tree of what is staged, read from the index file's cache-tree extension ("TREE"): git keeps
 * the root tree's id there while it is valid, and `git write-tree` returns exactly that id without
 * reading anything else. Null when git has invalidated it (something was staged since) or the file
 * holds anything unexpected: the caller then asks `git write-tree`. A checkpoint reads it instead of
 * running a process that competes for the CPU with the work-tree scan.
 * Format: git's Documentation/gitformat-index.txt (versions 2 to 4).
 */
export function cachedIndexTree(index: Uint8Array, hashBytes: number): string | null {
  const view = new DataView(index.buffer, index.byteOffset, index.byteLength);
  const end = index.length - hashBytes; // the file ends with a checksum
  if (end < 12 || view.getUint32(0) !== 0x44495243) return null; // "DIRC"
  const version = view.getUint32(4);
  if (version < 2 || version > 4) return null;
  let pos = 12;
  for (let n = view.getUint32(8); n > 0; n--) {
    const start = pos;
    pos += 40 + hashBytes; // stat data, object id
    if (pos + 2 > end) return null;
    const flags = view.getUint16(pos);
    pos += 2;
    if (version >= 3 && flags & 0x4000) pos += 2; // extended flags
    if (version === 4) {
      while (pos < end && (index[pos] as number) & 0x80) pos++; // varint: prefix length to strip
      pos++;
    }
    const nul = index.indexOf(0, pos);
    if (nul < 0 || nul >= end) return null;
    // v2/v3 pad each entry with 1 to 8 NULs to a multiple of 8 bytes; v4 has just the one NUL.
    pos = version === 4 ? nul + 1 : start + ((nul - start + 8) & ~7);
  }
  while (pos + 8 <= end) {
    const sig = String.fromCharCode(...index.subarray(pos, pos + 4));
    const size = view.getUint32(pos + 4);
    const data = pos + 8;
    if (data + size > end) return null;
    if (sig === "TREE") return rootTree(index.subarray(data, data + size), hashBytes);
    pos = data + size;
  }
  return null;
}

/** The first TREE record is the root: "" NUL, "<entries> <subtrees>" LF, then the id when entries ≥ 0. */
function rootTree(ext: Uint8Array, hashBytes: number): string | null {
  if (ext[0] !== 0) return null;
  const lf = ext.indexOf(0x0a);
  if (lf < 0) return null;
  const counts = String.fromCharCode(...ext.subarray(1, lf));
  if (!/^\d+ \d+$/.test(counts) || lf + 1 + hashBytes > ext.length) return null; // "-1 n": invalid
  let hex = "";
  for (const b of ext.subarray(lf + 1, lf + 1 + hashBytes)) hex += b.toString(16).padStart(2, "0");
  return hex;
}
