#!/usr/bin/env node
// Rewrites docs/config.md from the one config definition (src/config/spec.ts), via the built package.
// Run as `pnpm --filter @codex-autorunner/core gen:config-docs` (which builds first);
// src/config/config-doc.test.ts fails while the file differs from what the spec generates.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderConfigReference } from "../dist/index.js";

const target = new URL("../../../docs/config.md", import.meta.url);
writeFileSync(target, renderConfigReference());
console.log(`wrote ${fileURLToPath(target)}`);
