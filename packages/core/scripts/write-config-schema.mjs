#!/usr/bin/env node
// Build step (after tsup): writes dist/config.schema.json, config.yml's JSON Schema, from the built
// package, so the tarball ships it as `@codex-autorunner/core/config.schema.json`. Generated at build
// time from the one config definition (src/config/spec.ts), it cannot go stale.
import { writeFileSync } from "node:fs";
import { renderConfigJsonSchema } from "../dist/index.js";

writeFileSync(new URL("../dist/config.schema.json", import.meta.url), renderConfigJsonSchema());
