// The workspace's published packages and how to pack them exactly as `pnpm publish` would (pnpm
// rewrites `workspace:*` to real versions). Shared by scripts/check-packages.mjs and the e2e
// install-from-tarballs test (apps/e2e/src/packaging/).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const workspaceRoot = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/**
 * Every workspace package without `"private": true`, sorted by folder.
 * @returns {{ name: string, dir: string, relDir: string, manifest: Record<string, any> }[]}
 */
export function publishedPackages() {
  const out = [];
  for (const group of ["packages", "apps"]) {
    for (const folder of readdirSync(join(workspaceRoot, group)).sort()) {
      const file = join(workspaceRoot, group, folder, "package.json");
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, "utf8"));
      if (manifest.private === true) continue;
      const relDir = `${group}/${folder}`;
      out.push({ name: manifest.name, dir: join(workspaceRoot, relDir), relDir, manifest });
    }
  }
  return out;
}

/**
 * `pnpm pack` of the package in `dir` into `dest` (its dist/ must be built).
 * @param {string} dir
 * @param {string} dest
 * @returns {{ filename: string, files: string[] }}
 */
export function packPackage(dir, dest) {
  let stdout;
  try {
    stdout = execFileSync("pnpm", ["pack", "--json", "--pack-destination", dest], {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    throw new Error(`pnpm pack in ${dir} failed:\n${err.stdout ?? ""}${err.stderr ?? ""}`);
  }
  const r = JSON.parse(stdout);
  return { filename: r.filename, files: r.files.map((f) => f.path) };
}
