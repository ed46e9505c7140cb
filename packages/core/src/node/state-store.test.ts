import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isCarError } from "../errors.js";
import { initialState } from "../state/transitions.js";
import { type CarPaths, carPaths } from "./paths.js";
import { readState, updateState, writeState } from "./state-store.js";

let root: string;
let paths: CarPaths;
beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), "car-state-"));
  paths = carPaths(root);
  await fsp.mkdir(paths.dir);
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe("state store", () => {
  it("reads a missing file as the initial state", async () => {
    expect(await readState(paths)).toEqual(initialState());
  });

  it("round-trips and reads the original's state.json", async () => {
    const original = {
      last_run_id: 12,
      status: "idle",
      last_exit_code: 0,
      last_run_started_at: "2026-01-01T12:00:00Z",
      last_run_finished_at: "2026-01-01T12:05:00Z",
      runner_pid: null,
    };
    await fsp.writeFile(paths.state, JSON.stringify(original));
    expect(await readState(paths)).toMatchObject(original);
    const next = { ...(await readState(paths)), status: "running" as const, runner_pid: 42 };
    await writeState(paths, next);
    expect(await readState(paths)).toEqual(next);
    expect(await fsp.readdir(paths.dir)).toEqual(["state.json"]);
  });

  it("reports a corrupt file by name and never resets it", async () => {
    await fsp.writeFile(paths.state, '{"last_run_id": ');
    const err = await readState(paths).catch((e: unknown) => e);
    expect(isCarError(err, "STATE_CORRUPT")).toBe(true);
    expect((err as Error).message).toContain(".codex-autorunner/state.json");
    await expect(updateState(paths, (s) => s)).rejects.toMatchObject({ code: "STATE_CORRUPT" });
    expect(await fsp.readFile(paths.state, "utf8")).toBe('{"last_run_id": ');
  });

  it("serialises concurrent updates in one process", async () => {
    await writeState(paths, { ...initialState(), last_run_id: 0 });
    await Promise.all(
      Array.from({ length: 25 }, () =>
        updateState(paths, async (s) => {
          await new Promise((r) => setImmediate(r));
          return { ...s, last_run_id: (s.last_run_id ?? 0) + 1 };
        }),
      ),
    );
    expect((await readState(paths)).last_run_id).toBe(25);
  });

  it("keeps the old state when the update function throws", async () => {
    await writeState(paths, { ...initialState(), last_run_id: 3 });
    await expect(
      updateState(paths, () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect((await readState(paths)).last_run_id).toBe(3);
  });

  it("names state.json when it is a folder (read and write), never a bare EISDIR", async () => {
    await fsp.mkdir(paths.state);
    for (const op of [() => readState(paths), () => writeState(paths, initialState())]) {
      const err = await op().catch((e: unknown) => e);
      expect(isCarError(err, "IO_ERROR")).toBe(true);
      expect((err as Error).message).toMatch(
        /^Could not (read|write) \.codex-autorunner\/state\.json: it is a folder, not a file/,
      );
    }
  });
});
