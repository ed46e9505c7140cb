import { randomBytes } from "node:crypto";
import { promises as fsp, readFileSync, unlinkSync } from "node:fs";
import { hostname } from "node:os";
import { CarError } from "../errors.js";
import { isLockHeld } from "../lock/holder.js";
import type { LockInfo } from "../types.js";
import { isErrno } from "./fs/atomic.js";
import { fsError } from "./fs/errors.js";
import { isProcessAlive, processArgv, processStartedAtMs, processStartTime } from "./proc/procfs.js";

/**
 * The runner lock (`.codex-autorunner/lock`). Acquiring is one exclusive create (O_EXCL), so when many
 * processes race exactly one wins. A lock is stale when its PID is dead or now belongs to a different
 * process (see lock/holder.ts: start time differs from the recorded `pid_start`; for the original's
 * JSON lock, started after its `started_at` or not a runner). Removing a stale lock is done under a
 * short-lived guard file (`<lock>.takeover`, also O_EXCL) so two processes that both saw the same
 * stale lock cannot each delete the other's fresh one; recreating it is again an exclusive create.
 */

export interface LockHandle {
  path: string;
  info: LockInfo;
}

export interface AcquireLockOptions {
  /** Take over a lock even when its holder is alive (or the file is unreadable). */
  force?: boolean;
  /**
   * With `force`: called for a live holder known to be the process that wrote the lock (same host,
   * same pid start time) to end it before the lock is taken; it must resolve only once the holder is
   * gone. A holder that cannot be identified (the original's bare PID, another host) is not ended:
   * its lock is just replaced.
   */
  takeOver?: (holder: LockInfo) => Promise<void>;
  /** Host name recorded in the lock (defaults to os.hostname()). */
  host?: string;
  /** Recorded in the lock when the holder is not a runner (see LockInfo.purpose). */
  purpose?: LockInfo["purpose"];
}

export interface LockStatus {
  info: LockInfo | null;
  /** The holder is a live process (same PID and, when recorded, same start time). */
  alive: boolean;
  /** Set when the lock file exists but cannot be parsed. */
  corrupt?: string;
}

/** Give up racing after this long (only reachable under pathological contention). */
const ACQUIRE_TIMEOUT_MS = 15_000;
/** A takeover guard older than this whose PID is dead was left by a crash mid-takeover. */
const GUARD_STALE_MS = 5_000;

export async function acquireLock(path: string, options: AcquireLockOptions = {}): Promise<LockHandle> {
  const info: LockInfo = {
    pid: process.pid,
    host: options.host ?? hostname(),
    started_at: isoSeconds(new Date()),
    pid_start: processStartTime(process.pid),
    token: randomBytes(8).toString("hex"),
    ...(options.purpose ? { purpose: options.purpose } : {}),
  };
  const body = `${JSON.stringify(info)}\n`;
  let deadline = Date.now() + ACQUIRE_TIMEOUT_MS;
  const endedHolders = new Set<string>();
  while (Date.now() < deadline) {
    if (await createExclusive(path, body)) return { path, info };

    const seen = await readLockRaw(path);
    if (seen === null) continue; // vanished between create and read: race again
    const judged = judge(path, seen, options.force === true);
    if (judged.holder && options.force && judged.holder.purpose) {
      // Ending a rollback halfway would leave the work tree half restored: wait for it instead.
      throw heldError(path, judged.holder);
    }
    if (judged.holder && options.force && options.takeOver && isIdentifiedHolder(judged.holder)) {
      const key = `${judged.holder.pid}:${judged.holder.pid_start}`;
      if (endedHolders.has(key)) throw heldError(path, judged.holder, "it survived being ended");
      endedHolders.add(key);
      await options.takeOver(judged.holder);
      deadline = Date.now() + ACQUIRE_TIMEOUT_MS; // ending it took its grace: that was not contention
      continue; // its lock is now stale (or released): race again
    }
    if (judged.holder && !options.force) throw heldError(path, judged.holder);
    // Stale (or forced): remove it under the guard, re-checking it is still the file we judged.
    await withTakeoverGuard(path, async () => {
      const again = await readLockRaw(path);
      if (again === seen) await fsp.rm(path, { force: true });
    });
    // Whether or not we removed it, race for the exclusive create again.
  }
  throw new CarError("LOCK_HELD", `Could not acquire the lock ${path}: too much contention.`, { file: path });
}

/** A lock file's content judged: its live holder, or nothing (stale, or unreadable under force). */
function judge(path: string, raw: string, force: boolean): { holder: LockInfo | null } {
  let info: LockInfo;
  try {
    info = parseLock(raw, path);
  } catch (err) {
    if (force) return { holder: null };
    throw err;
  }
  return { holder: isHolderAlive(info) ? info : null };
}

function heldError(path: string, holder: LockInfo, why?: string): CarError {
  const { pid, host, purpose } = holder;
  const who = purpose ? `A ${purpose} in progress` : "Another runner";
  const advice = purpose
    ? "; it takes a few seconds, try again when it ends."
    : "; stop it with `car stop`/`car kill`, or use --force to take over.";
  return new CarError(
    "LOCK_HELD",
    `${who} holds the lock ${path} (PID ${pid}${host && host !== hostname() ? ` on ${host}` : ""})` +
      (why ? `; ${why}` : advice),
    { file: path, pid, host, started_at: holder.started_at },
  );
}

/** A live holder on this host whose start time matches the lock: certainly the runner that wrote it. */
function isIdentifiedHolder(info: LockInfo): boolean {
  if (info.host && info.host !== hostname()) return false;
  if (info.pid === process.pid) return false; // another loop in this process: it sees the takeover
  return info.pid_start != null && processStartTime(info.pid) === info.pid_start;
}

/**
 * Create `path` with `body` only if it does not exist. The content is written to a unique temp file
 * first and hard-linked into place (link fails with EEXIST), so a racer never reads a half-written
 * lock; filesystems without hard links fall back to open(O_EXCL).
 */
async function createExclusive(path: string, body: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  await fsp.writeFile(tmp, body, { flag: "wx", mode: 0o644 }).catch((err: unknown) => {
    throw fsError(err, path, "create");
  });
  try {
    await fsp.link(tmp, path);
    return true;
  } catch (err) {
    if (isErrno(err, "EEXIST")) return false;
    if (!isErrno(err, "EPERM") && !isErrno(err, "ENOTSUP") && !isErrno(err, "EOPNOTSUPP")) throw err;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, "wx", 0o644);
  } catch (err) {
    if (isErrno(err, "EEXIST")) return false;
    throw err;
  }
  try {
    await handle.writeFile(body);
  } finally {
    await handle.close();
  }
  return true;
}

async function withTakeoverGuard(path: string, fn: () => Promise<void>): Promise<void> {
  const guard = `${path}.takeover`;
  const body = `${JSON.stringify({ pid: process.pid, token: randomBytes(6).toString("hex") })}\n`;
  if (!(await createExclusive(guard, body))) {
    await clearAbandonedGuard(guard);
    await sleep(5 + Math.random() * 20);
    return;
  }
  try {
    await fn();
  } finally {
    const now = await readLockRaw(guard);
    if (now === body) await fsp.rm(guard, { force: true });
  }
}

async function clearAbandonedGuard(guard: string): Promise<void> {
  try {
    const [raw, st] = await Promise.all([fsp.readFile(guard, "utf8"), fsp.stat(guard)]);
    const pid = Number((JSON.parse(raw) as { pid?: unknown }).pid);
    if (Date.now() - st.mtimeMs > GUARD_STALE_MS && !isProcessAlive(pid)) {
      await fsp.rm(guard, { force: true });
    }
  } catch {
    // Gone, half-written or unreadable: leave it; the next attempt looks again.
  }
}

async function readLockRaw(path: string): Promise<string | null> {
  try {
    return await fsp.readFile(path, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return null;
    throw fsError(err, path, "read");
  }
}

/**
 * Parse a lock file: ours is JSON `LockInfo`; the original wrote a bare PID ("12345\n"), read as
 * `{ pid, host: "", started_at: null }` (unknown host = this host).
 */
export function parseLock(raw: string, file: string): LockInfo {
  const text = raw.trim();
  if (/^\d+$/.test(text)) {
    const pid = Number(text);
    if (pid > 0 && Number.isSafeInteger(pid)) return { pid, host: "", started_at: null, pid_start: null };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt(file, raw, "neither JSON nor a bare PID");
  }
  if (typeof value !== "object" || value === null) throw corrupt(file, raw, "not a JSON object");
  const v = value as Record<string, unknown>;
  const pid = v.pid;
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) {
    throw corrupt(file, raw, "`pid` must be a positive integer");
  }
  return {
    pid,
    host: typeof v.host === "string" ? v.host : "",
    started_at: typeof v.started_at === "string" ? v.started_at : null,
    pid_start: typeof v.pid_start === "string" ? v.pid_start : null,
    ...(typeof v.token === "string" ? { token: v.token } : {}),
    ...(v.purpose === "rollback" ? { purpose: v.purpose } : {}),
  };
}

function corrupt(file: string, raw: string, why: string): CarError {
  return new CarError(
    "LOCK_CORRUPT",
    `Lock file ${file} is unreadable (${why}); remove it if no runner is running, or use --force.`,
    { file, found: raw.slice(0, 200), expected: 'JSON {"pid", "host", "started_at"} or a bare PID' },
  );
}

/** The lock's content, or null when there is no lock. Throws LOCK_CORRUPT on an unreadable file. */
export async function readLock(path: string): Promise<LockInfo | null> {
  const raw = await readLockRaw(path);
  return raw === null ? null : parseLock(raw, path);
}

/** Who holds the lock and whether that process is alive. Never throws on a corrupt file. */
export async function lockStatus(path: string): Promise<LockStatus> {
  const raw = await readLockRaw(path);
  if (raw === null) return { info: null, alive: false };
  try {
    const info = parseLock(raw, path);
    return { info, alive: isHolderAlive(info) };
  } catch (err) {
    return { info: null, alive: false, corrupt: (err as Error).message };
  }
}

/** Remove the lock only if it is still ours (a forced takeover by someone else is left alone). */
export async function releaseLock(handle: LockHandle): Promise<boolean> {
  const raw = await readLockRaw(handle.path);
  if (raw === null || !isSameHolder(raw, handle)) return false;
  await fsp.rm(handle.path, { force: true });
  return true;
}

/** Synchronous variant for `process.on("exit")` handlers, where async work cannot run. */
export function releaseLockSync(handle: LockHandle): boolean {
  let raw: string;
  try {
    raw = readFileSync(handle.path, "utf8");
  } catch {
    return false;
  }
  if (!isSameHolder(raw, handle)) return false;
  try {
    unlinkSync(handle.path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Who took the lock from us, or null while it is still ours. A missing or unreadable lock file is not
 * a takeover (the agent may have deleted .codex-autorunner/); only a lock naming another holder is.
 * Synchronous and cheap (one small read): checked before every run and every state write.
 */
export function lockTakenBy(handle: LockHandle): LockInfo | null {
  let raw: string;
  try {
    raw = readFileSync(handle.path, "utf8");
  } catch {
    return null;
  }
  if (isSameHolder(raw, handle)) return null;
  try {
    return parseLock(raw, handle.path);
  } catch {
    return null;
  }
}

function isSameHolder(raw: string, handle: LockHandle): boolean {
  try {
    const now = parseLock(raw, handle.path);
    return (
      now.pid === handle.info.pid &&
      now.started_at === handle.info.started_at &&
      (now.pid_start ?? null) === (handle.info.pid_start ?? null) &&
      (now.token ?? null) === (handle.info.token ?? null)
    );
  } catch {
    return false;
  }
}

/** The process the lock names still holds it (lock/holder.ts decides from /proc's facts). */
function isHolderAlive(info: LockInfo): boolean {
  const { pid } = info;
  return isLockHeld(info, hostname(), {
    alive: () => isProcessAlive(pid),
    startTicks: () => processStartTime(pid),
    startedAtMs: () => processStartedAtMs(pid),
    argv: () => processArgv(pid),
  });
}

function isoSeconds(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
