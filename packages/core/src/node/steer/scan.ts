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
import { fsError } from "../fs/errors.js";

/** A steer file name with what its name says. */
export interface SteerEntry {
  name: string;
  id: string;
  state: SteerState;
  run_id: number | null;
}

/** The steer files in `dir` (none when it does not exist), by name only; strays and temp files skipped. */
export async function steerEntries(dir: string): Promise<SteerEntry[]> {
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
  const texts = await Promise.all(
    entries.map((e) =>
      fsp.readFile(join(dir, e.name), "utf8").catch((err: unknown) => {
        if (isErrno(err, "ENOENT")) return null;
        throw fsError(err, join(dir, e.name), "read");
      }),
    ),
  );
  entries.forEach((e, i) => {
    const text = texts[i];
    if (text === null || text === undefined) return;
    const parsed = parseSteerFile(e.name, text);
    if ("error" in parsed) corrupt.push({ file: e.name, error: parsed.error });
    else {
      messages.push(parsed);
      names.set(parsed.id, e.name);
    }
  });
  return { messages, corrupt, names };
}
