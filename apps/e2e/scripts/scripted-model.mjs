#!/usr/bin/env node
// The test kit's scripted Responses-API model server as its own process, for demos: the "model"
// reads the first open TODO item from the prompt and has codex tick it with a shell command.
// Prints one JSON line {"url": "...", "pid": N} once listening; stops on SIGTERM/SIGINT.
// (Own process because the demo drives `car` with spawnSync, which would block an in-process server.)
import { startModelServer, tickingModel } from "@codex-autorunner/testkit";

const server = await startModelServer({ script: tickingModel() });
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
const stop = () => {
  server.close().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
