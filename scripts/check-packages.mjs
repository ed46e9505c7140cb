#!/usr/bin/env node
// Lints what we would publish: packs every published workspace package (after `pnpm build`) and
// checks the tarball with publint (--strict) and @arethetypeswrong/cli (--profile esm-only: the
// packages are ESM-only by decision, so CommonJS `require` and node10 resolution are not checked),
// plus the manifest rules below. Offline: both tools read the tarball only. Exit 1 on any problem.
//
//   node scripts/check-packages.mjs        (run by `pnpm lint:packages` and `pnpm test:all`)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packPackage, publishedPackages, workspaceRoot } from "./packages.mjs";

const bin = (name) => join(workspaceRoot, "node_modules", ".bin", name);
const rootManifest = JSON.parse(readFileSync(join(workspaceRoot, "package.json"), "utf8"));
const rootLicense = readFileSync(join(workspaceRoot, "LICENSE"), "utf8");

/** Problems with the packed manifest and file list, each a sentence naming the field. */
function manifestProblems(pkg, packed, files) {
  const problems = [];
  const expect = (ok, message) => ok || problems.push(message);
  expect(
    packed.type === "module",
    `"type" must be "module" (ESM-only), found ${JSON.stringify(packed.type)}`,
  );
  expect(packed.license === "MIT", `"license" must be "MIT", found ${JSON.stringify(packed.license)}`);
  expect(
    packed.engines?.node === rootManifest.engines.node,
    `"engines.node" must be "${rootManifest.engines.node}" like the root, found ${JSON.stringify(packed.engines?.node)}`,
  );
  expect(
    packed.repository?.url === rootManifest.repository.url && packed.repository?.directory === pkg.relDir,
    `"repository" must be {url: "${rootManifest.repository.url}", directory: "${pkg.relDir}"}, found ${JSON.stringify(packed.repository)}`,
  );
  for (const file of ["package.json", "README.md", "LICENSE"]) {
    expect(files.includes(file), `the tarball has no ${file} (add it to "files")`);
  }
  let license = null;
  try {
    license = readFileSync(join(pkg.dir, "LICENSE"), "utf8");
  } catch {}
  expect(license === rootLicense, `${pkg.relDir}/LICENSE must be a copy of the root LICENSE`);
  // attw passes a package without types, and publint has no ESM-only rule: both are ours.
  const entries = Object.entries(packed.exports ?? {}).filter(([path]) => path !== "./package.json");
  expect(entries.length > 0, `"exports" lists no entry point`);
  for (const [path, target] of entries) {
    // A data file (core's config.schema.json) is exported as itself: a path in the tarball, same name.
    if (path.endsWith(".json")) {
      const file = typeof target === "string" ? target.replace(/^\.\//, "") : null;
      expect(
        file?.endsWith(path.slice(path.lastIndexOf("/") + 1)) && files.includes(file),
        `"exports.${path}" must be the path of a packed file of that name, found ${JSON.stringify(target)}`,
      );
      continue;
    }
    const keys = typeof target === "object" && target !== null ? Object.keys(target) : [];
    expect(
      keys.join() === "types,import",
      `"exports.${path}" must be {types, import} (typed, ESM-only), found ${JSON.stringify(target)}`,
    );
  }
  return problems;
}

/** Runs a linter on the tarball; returns its output when it fails, null when it passes. */
function lint(command, args) {
  try {
    execFileSync(command, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    return null;
  } catch (err) {
    return `${err.stdout ?? ""}${err.stderr ?? ""}`.trim() || String(err);
  }
}

const dest = mkdtempSync(join(tmpdir(), "car-check-packages-"));
let failed = 0;
try {
  for (const pkg of publishedPackages()) {
    let tarball;
    try {
      tarball = packPackage(pkg.dir, dest);
    } catch (err) {
      failed++;
      console.log(`FAIL  ${pkg.name} (${pkg.relDir}): ${err.message}`);
      continue;
    }
    const { filename, files } = tarball;
    const packed = JSON.parse(
      execFileSync("tar", ["-xzOf", filename, "package/package.json"], { encoding: "utf8" }),
    );
    const problems = manifestProblems(pkg, packed, files);
    const publint = lint(bin("publint"), ["run", "--strict", filename]);
    if (publint) problems.push(`publint:\n${publint}`);
    const attw = lint(bin("attw"), ["--profile", "esm-only", "--format", "ascii", "--no-emoji", filename]);
    if (attw) problems.push(`attw (--profile esm-only):\n${attw}`);
    if (problems.length === 0) {
      console.log(`ok    ${pkg.name} (${pkg.relDir}): ${files.length} files; manifest, publint, attw`);
    } else {
      failed++;
      console.log(`FAIL  ${pkg.name} (${pkg.relDir}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
  }
} finally {
  rmSync(dest, { recursive: true, force: true });
}
if (failed) {
  console.log(
    `check-packages: ${failed} package(s) failed; build first (pnpm build) if dist/ files are missing`,
  );
  process.exit(1);
}
