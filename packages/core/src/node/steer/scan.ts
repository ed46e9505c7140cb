import { promises as fsp } from "node:fs";
import { join } from "node:path";
import {
  parseSteerFile,
  parseSteerFileName,
  type SteerCorruptFile,
  type SteerMessage,
  type SteerState,
} from "../../steer/message.js";
import { isErrno } from "../fs/atomic.js";
import { readBoundedFile } from "../fs/bounded-read.js";
import { fsError } from "../fs/errors.js";
import { refuseSymlinkedDir } from "../fs/self-ignored.js";

/** A steer file name with what its name says. */
export interface SteerEntry {
  name: string;
  id: string;
  state: SteerState;
  run_id: number | null;
}

export const STEER_DIR_RULE = "the steering folder must be a real folder inside the repo";

/**
 * Refuses a steer folder that is a symbolic link: a cloned repo could ship one pointing anywhere, and
 * messages would then be written, read and pruned there. A missing folder is fine.
 */
export async function checkSteerDir(dir: string): Promise<void> {
  await refuseSymlinkedDir(dir, STEER_DIR_RULE);
}

/** The steer files in `dir` (none when it does not exist), by name only; strays and temp files skipped. */
export async function steerEntries(dir: string): Promise<SteerEntry[]> {
  await checkSteerDir(dir);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw fsError(err, dir, "list");
  }
  const entries: SteerEntry[] = [];
  for (const name of names) {
    const meta = parseSteerFileName(name);
    if (meta) entries.push({ name, ...meta });
  }
  return entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Read and check the entries' files. A file renamed meanwhile (claimed, confirmed, deleted) is skipped:
 * it is listed again under its new name by the next scan.
 */
export async function readSteerEntries(
  dir: string,
  entries: readonly SteerEntry[],
): Promise<{ messages: SteerMessage[]; corrupt: SteerCorruptFile[]; names: Map<string, string> }> {
  const messages: SteerMessage[] = [];
  const corrupt: SteerCorruptFile[] = [];
  const names = new Map<string, string>();
  const texts = await Promise.all(entries.map((e) => readSteerFile(join(dir, e.name))));
  entries.forEach((e, i) => {
    const text = texts[i];
    if (text === null || text === undefined) return;
    if (typeof text === "object") {
      corrupt.push({ file: e.name, error: text.error });
      return;
    }
    const parsed = parseSteerFile(e.name, text);
    if ("error" in parsed) corrupt.push({ file: e.name, error: parsed.error });
    else {
      messages.push(parsed);
      names.set(parsed.id, e.name);
    }
  });
  return { messages, corrupt, names };
}

/** Far above a serialized STEER_MAX_BYTES message (JSON escapes at most 6 bytes per byte). */
const STEER_FILE_MAX_BYTES = 256 * 1024;

/**
 * One steer file's text, or why it is not one. Anyone who can write the folder (the agent) could
 * plant a symlink, a FIFO or a huge file under a steer name: read as fs/bounded-read.ts reads.
 */
async function readSteerFile(path: string): Promise<string | { error: string } | null> {
  const read = await readBoundedFile(path, STEER_FILE_MAX_BYTES);
  if (read === null || "text" in read) return read?.text ?? null;
  switch (read.problem) {
    case "link":
      return { error: "a symbolic link, not a steering file (never followed)" };
    case "not_file":
      return { error: "not a regular file" };
    case "too_large":
      return { error: `${read.size} bytes, over the ${STEER_FILE_MAX_BYTES}-byte limit for a steer file` };
    case "changed":
      return { error: "changed while being read" };
  }
}
