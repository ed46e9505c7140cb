import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { WEB_UI } from "../lib/paths.mjs";
import { row } from "../lib/results.mjs";

/**
 * Web: gzipped size of the UI's first load = index.html + the scripts, stylesheets and modulepreloads
 * it references (packages/web/dist/ui), each gzipped on its own at level 6 (what servers do on the
 * fly) and at level 9. Goal ≤ 30 KB (level 6).
 */
export default {
  name: "web",
  async run() {
    const index = join(WEB_UI, "index.html");
    if (!existsSync(index)) throw new Error(`${index} is missing: build @codex-autorunner/web first`);
    const html = readFileSync(index, "utf8");
    const refs = new Set();
    for (const m of html.matchAll(/<(script|link)\b[^>]*>/gi)) {
      const tag = m[0];
      const src = /\b(?:src|href)=["']([^"']+)["']/i.exec(tag)?.[1];
      if (!src || /^(https?:|data:|\/\/)/.test(src)) continue;
      if (m[1].toLowerCase() === "link" && !/rel=["']?(stylesheet|modulepreload)/i.test(tag)) continue;
      refs.add(src);
    }
    const files = [
      index,
      ...[...refs].map((r) => resolve(WEB_UI, r.replace(/^\//, "").replace(/^\.\//, ""))),
    ];
    let raw = 0;
    let gz6 = 0;
    let gz9 = 0;
    for (const f of files) {
      if (!existsSync(f)) throw new Error(`index.html references ${f}, which is missing`);
      const data = readFileSync(f);
      raw += statSync(f).size;
      gz6 += gzipSync(data, { level: 6 }).length;
      gz9 += gzipSync(data, { level: 9 }).length;
    }
    const note = `${files.length} files: ${files.map((f) => f.slice(WEB_UI.length + 1)).join(", ")}`;
    return [
      row({ caseName: "web", name: "first load, raw", unit: "KB", samples: [raw / 1024] }),
      row({
        caseName: "web",
        name: "first load, gzip -6",
        unit: "KB",
        samples: [gz6 / 1024],
        goal: { on: "value", max: 30, text: "≤ 30 KB" },
        note,
      }),
      row({ caseName: "web", name: "first load, gzip -9", unit: "KB", samples: [gz9 / 1024] }),
    ];
  },
};
