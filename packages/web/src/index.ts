/**
 * Node entry of @codex-autorunner/web: where the built UI lives, for the server to serve. The UI
 * itself (src/main.tsx and friends) is bundled by vite into dist/ui and never imported from Node.
 */
import { fileURLToPath } from "node:url";

/** Absolute path of the built UI (index.html + hashed files under assets/). */
export const webAssetsDir: string = fileURLToPath(new URL("./ui/", import.meta.url)).replace(/[\\/]$/, "");

export interface WebBuildInfo {
  /** Package version the assets were built from. */
  version: string;
  /** Sub-folder of webAssetsDir holding content-hashed files: safe to cache forever. */
  hashedAssetsPath: string;
  /** Entry document: serve with no-cache so a new build is picked up. */
  indexFile: string;
  /** The hub's home page (`car hub serve`'s `/`), served like indexFile. */
  hubFile: string;
  /** First-load budget (JS + CSS, gzipped) of each page, which the build enforces. */
  budgetBytes: number;
}

declare const __WEB_VERSION__: string;

export const webBuildInfo: WebBuildInfo = {
  version: typeof __WEB_VERSION__ === "string" ? __WEB_VERSION__ : "0.0.0",
  hashedAssetsPath: "assets",
  indexFile: "index.html",
  hubFile: "hub.html",
  budgetBytes: 30 * 1024,
};
