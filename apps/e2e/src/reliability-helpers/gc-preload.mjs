// Loaded into `car serve` with NODE_OPTIONS="--expose-gc --import=<this file>": SIGUSR2 runs a full
// garbage collection, so a test can tell memory that is merely uncollected from memory still held.
if (typeof globalThis.gc === "function") {
  process.on("SIGUSR2", () => {
    globalThis.gc();
    globalThis.gc();
  });
}
