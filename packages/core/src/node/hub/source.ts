import { createHash } from "node:crypto";
import { basename } from "node:path";
import { assignHubRepoIds } from "../../hub/ids.js";
import type { HubManifest } from "../../hub/manifest.js";
import { discoverRepos } from "./discover.js";
import { manifestEntryPath, readHubManifest, realPathOf } from "./manifest-io.js";
import { type HubPaths, hubPaths } from "./paths.js";
import type { HubRepoRef, RepoSource } from "./types.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * The repos of a hub on this machine: hub.yml's `repos:` (in its order, whatever their state), then
 * the repos discovered under the root (sorted) that are neither listed nor excluded.
 */
export class LocalRepoSource implements RepoSource {
  readonly paths: HubPaths;
  /** hub.yml as last read by `list()` (defaults before). */
  manifest: HubManifest | null = null;
  /** The paths discovery found on the last `list()` (listed in `repos:` or not, excluded or not). */
  discovered = new Set<string>();

  constructor(root: string) {
    this.paths = hubPaths(root);
  }

  async list(): Promise<HubRepoRef[]> {
    const { manifest } = await readHubManifest(this.paths);
    const root = this.paths.root;
    const found = await discoverRepos(root, manifest.discover_depth);
    const listed = unique(manifest.repos.map((e) => manifestEntryPath(root, e)));
    const excluded = new Set(manifest.exclude.map((e) => manifestEntryPath(root, e)));
    const seen = new Set(listed);
    const discovered = found.filter((p) => !seen.has(p) && !excluded.has(p));
    const all = await uniqueRepos([
      ...listed.map((path) => ({ path, source: "manifest" as const })),
      ...discovered.map((path) => ({ path, source: "discovered" as const })),
    ]);
    const ids = assignHubRepoIds(
      root,
      all.map((r) => r.path),
      sha256,
    );
    this.manifest = manifest;
    this.discovered = new Set(found);
    return all.map(({ path, source }, i) => ({
      id: ids[i] as string,
      name: basename(path),
      path,
      source,
      location: { kind: "local", root: path },
    }));
  }
}

/**
 * One entry per repo: symlinked aliases of one folder (`repos: [alpha, linkalpha]`) are one repo, or
 * its runner would count twice against the cap. The first keeps it; later aliases are dropped.
 */
async function uniqueRepos<T extends { path: string }>(repos: T[]): Promise<T[]> {
  const reals = await Promise.all(repos.map((r) => realPathOf(r.path)));
  const seen = new Set<string>();
  return repos.filter((_, i) => {
    const real = reals[i] as string;
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  });
}

function unique(paths: string[]): string[] {
  return [...new Set(paths)];
}
