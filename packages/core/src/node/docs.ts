import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import { relative } from "node:path";
import type { Config } from "../config/schema.js";
import { CarError } from "../errors.js";
import { isErrno, writeFileAtomic } from "./fs/atomic.js";
import { fsError } from "./fs/errors.js";
import { resolveLinkTarget } from "./fs/link-target.js";
import { resolveRepoPath } from "./paths.js";

/**
 * The docs the user and the agent share (TODO, PROGRESS, OPINIONS and configured extras), read with
 * an HTTP-style etag and written atomically with optional If-Match. A kind is only ever looked up in
 * the config, never joined onto a path, so a request cannot reach other files. A doc that is a
 * symbolic link is read and written through the link: the link itself stays.
 */

export type DocsConfig = Pick<Config, "docs">;

export interface DocContent {
  kind: string;
  content: string;
  /** `"<sha256 hex of the content>"`, quoted like an HTTP etag. */
  etag: string;
  /** Last modification, ISO-8601. */
  mtime: string;
}

export interface WriteDocOptions {
  /** Write only if the doc's current etag equals this (else DOC_CONFLICT). `*` matches any existing doc. */
  ifMatch?: string;
}

const FIXED = ["todo", "progress", "opinions"] as const;

export function docKinds(config: DocsConfig): string[] {
  return [...FIXED, ...config.docs.extras.map((e) => e.name)];
}

export function etagOf(content: string): string {
  return `"${createHash("sha256").update(content, "utf8").digest("hex")}"`;
}

/** Absolute path of a doc kind; UNKNOWN_DOC for anything not configured. Extras match case-insensitively. */
export function docPath(root: string, config: DocsConfig, kind: string): string {
  if ((FIXED as readonly string[]).includes(kind)) {
    return resolveRepoPath(root, config.docs[kind as (typeof FIXED)[number]]);
  }
  const extra = config.docs.extras.find((e) => e.name.toLowerCase() === kind.toLowerCase());
  if (!extra) {
    throw new CarError(
      "UNKNOWN_DOC",
      `Unknown doc ${JSON.stringify(kind)}; expected one of ${docKinds(config).join(", ")}.`,
      { found: kind, expected: docKinds(config).join(", ") },
    );
  }
  return resolveRepoPath(root, extra.path);
}

function canonicalKind(config: DocsConfig, kind: string): string {
  if ((FIXED as readonly string[]).includes(kind)) return kind;
  return config.docs.extras.find((e) => e.name.toLowerCase() === kind.toLowerCase())?.name ?? kind;
}

export async function readDoc(root: string, config: DocsConfig, kind: string): Promise<DocContent> {
  const path = docPath(root, config, kind);
  let content: string;
  let mtime: Date;
  try {
    [content, mtime] = await Promise.all([fsp.readFile(path, "utf8"), fsp.stat(path).then((s) => s.mtime)]);
  } catch (err) {
    if (isErrno(err, "ENOENT")) throw missing(root, kind, path);
    throw fsError(err, rel(root, path), "read", path);
  }
  return { kind: canonicalKind(config, kind), content, etag: etagOf(content), mtime: mtime.toISOString() };
}

export async function writeDoc(
  root: string,
  config: DocsConfig,
  kind: string,
  content: string,
  options: WriteDocOptions = {},
): Promise<DocContent> {
  const path = docPath(root, config, kind);
  // The link's target is what gets replaced (atomically, in the target's folder), never the link.
  const target = await resolveLinkTarget(path).catch((err: unknown) => {
    throw fsError(err, rel(root, path), "resolve the link", path);
  });
  return withPathMutex(target, async () => {
    if (options.ifMatch !== undefined) {
      let current: string | null;
      try {
        current = await fsp.readFile(target, "utf8");
      } catch (err) {
        if (!isErrno(err, "ENOENT")) throw fsError(err, rel(root, path), "read", path);
        current = null;
      }
      const currentEtag = current === null ? null : etagOf(current);
      const matches =
        options.ifMatch.trim() === "*" ? current !== null : sameEtag(options.ifMatch, currentEtag);
      if (!matches) {
        throw new CarError(
          "DOC_CONFLICT",
          `${rel(root, path)} changed since it was read (etag ${currentEtag ?? "none: the file is missing"}); ` +
            "reload it and apply your edit again.",
          { file: rel(root, path), kind, etag: currentEtag, expected: options.ifMatch },
        );
      }
    }
    try {
      await writeFileAtomic(target, content);
    } catch (err) {
      if (isErrno(err, "ENOENT")) throw missing(root, kind, path);
      throw fsError(err, rel(root, target), "write", target);
    }
    const mtime = await fsp.stat(target).then((s) => s.mtime);
    return { kind: canonicalKind(config, kind), content, etag: etagOf(content), mtime: mtime.toISOString() };
  });
}

/** Accepts the etag quoted or bare, and a weak `W/` prefix. */
function sameEtag(given: string, current: string | null): boolean {
  if (current === null) return false;
  const norm = (s: string) => s.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
  return norm(given) === norm(current);
}

function missing(root: string, kind: string, path: string): CarError {
  return new CarError("DOC_MISSING", `The ${kind} doc ${rel(root, path)} does not exist.`, {
    file: rel(root, path),
    path,
    kind,
  });
}

function rel(root: string, path: string): string {
  const r = relative(root, path);
  return r.startsWith("..") || r === "" ? path : r;
}

/** In-process mutex per path: check-etag-then-write is atomic with respect to other writers here. */
const chains = new Map<string, Promise<unknown>>();

async function withPathMutex<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const prev = chains.get(path) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => {});
  chains.set(path, tail);
  try {
    return await run;
  } finally {
    if (chains.get(path) === tail) chains.delete(path);
  }
}
