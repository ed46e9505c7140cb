import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/**
 * Test helper: compile `entry` (a .ts file under src/) and every module it imports relatively to plain
 * JS under `outDir`, keeping the folder layout, so real `node` child processes can run our code without
 * a build. Returns the entry's .js path.
 */
export function transpileTree(srcRoot: string, entry: string, outDir: string): string {
  const seen = new Set<string>();
  const queue = [resolve(srcRoot, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const m of source.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)\.js["']/g)) {
      queue.push(resolve(dirname(file), `${m[1]}.ts`));
    }
    const out = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const target = join(outDir, relative(srcRoot, file).replace(/\.ts$/, ".js"));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, out);
  }
  writeFileSync(join(outDir, "package.json"), '{"type":"module"}\n');
  return join(outDir, relative(srcRoot, resolve(srcRoot, entry)).replace(/\.ts$/, ".js"));
}
