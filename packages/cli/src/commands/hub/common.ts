import { promises as fsp } from "node:fs";
import { resolve } from "node:path";
import type { Argv } from "yargs";
import { type GlobalArgs, loadCore } from "../common.js";

export interface HubArgs extends GlobalArgs {
  root?: string;
}

/** `--root DIR` on every hub command. */
export function withRoot<T>(y: Argv<T>) {
  return y.option("root", {
    type: "string",
    describe: "The hub's root: holds hub.yml and the repos (default: the current folder)",
  });
}

/** The hub's root as an absolute path; INVALID_ARGUMENT when it is not a folder. */
export async function hubRoot(argv: HubArgs): Promise<string> {
  const root = resolve(process.cwd(), argv.root ?? ".");
  const st = await fsp.stat(root).catch(() => null);
  if (!st?.isDirectory()) {
    const { CarError } = await loadCore();
    const why = st ? "not a folder" : "no such folder";
    throw new CarError("INVALID_ARGUMENT", `--root ${argv.root ?? "."}: ${why} (${root})`, {
      expected: "a folder",
      found: root,
    });
  }
  return root;
}

/** A registry opened for one command, closed after it (its watchers must not keep the process alive). */
export async function withHub<T>(
  root: string,
  fn: (hub: import("@codex-autorunner/core/node").HubRegistryApi) => Promise<T>,
): Promise<T> {
  const core = await loadCore();
  // Passive: a command that lists or edits hub.yml must not start queued runs nor watch anything.
  const hub = await core.openHub(root, { passive: true });
  try {
    return await fn(hub);
  } finally {
    hub.close();
  }
}
