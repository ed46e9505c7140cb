import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { defineConfig, type Options } from "tsup";

/**
 * yargs (bundled, see noExternal) reads its message translations (LANG=de → "Optionen:") from its own
 * folder, found relative to its shim's file. In the bundle they sit beside the chunks instead:
 * dist/yargs-locales, copied after the build. The build fails if yargs changes that line.
 */
const yargsDir = dirname(createRequire(import.meta.url).resolve("yargs/package.json"));
const YARGS_LOCALES = "resolve(__dirname, '../../../locales')";
const yargsLocales: NonNullable<Options["esbuildPlugins"]>[number] = {
  name: "yargs-locales",
  setup(build) {
    build.onLoad({ filter: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      if (!source.includes(YARGS_LOCALES)) {
        throw new Error(`${args.path} no longer contains ${YARGS_LOCALES}: update the yargs-locales plugin`);
      }
      const here = 'fileURLToPath(new URL("./yargs-locales", import.meta.url))';
      return { contents: source.replace(YARGS_LOCALES, here), loader: "js", resolveDir: dirname(args.path) };
    });
  },
};

export default defineConfig({
  entry: { bin: "src/bin.ts", index: "src/index.ts" },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts" } },
  target: "node20",
  platform: "node",
  sourcemap: true,
  clean: true,
  banner: { js: "#!/usr/bin/env node" },
  // yargs and its dependencies are bundled: loading them file by file (~40 files) cost more start-up time
  // than their code. Core and server stay packages of their own (they find files beside their dist/).
  noExternal: ["yargs"],
  esbuildPlugins: [yargsLocales],
  // `car --help` prints this saved copy of the yargs help instead of loading yargs (see src/fast-path.ts).
  onSuccess: async () => {
    cpSync(join(yargsDir, "locales"), "dist/yargs-locales", { recursive: true });
    const help = execFileSync(process.execPath, ["dist/bin.js", "--help", "--repo", "."], {
      encoding: "utf8",
    });
    writeFileSync("dist/help.txt", help);
  },
});
