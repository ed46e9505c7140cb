import { describe, expect, it } from "vitest";
import { carError } from "../testing/car-error.js";
import { parseRunCheckpointRef, rollbackRef, rollbackStamp, runCheckpointRef, undoCommand } from "./refs.js";

describe("checkpoint refs", () => {
  it("names run checkpoints and reads them back", () => {
    expect(runCheckpointRef(12, "before")).toBe("refs/car/runs/12/before");
    expect(runCheckpointRef(1, "after")).toBe("refs/car/runs/1/after");
    expect(parseRunCheckpointRef("refs/car/runs/12/after")).toEqual({ runId: 12, phase: "after" });
    for (const other of [
      "refs/car/runs/0/before",
      "refs/car/runs/01/before",
      "refs/heads/main",
      "refs/car/runs/3/during",
    ]) {
      expect(parseRunCheckpointRef(other)).toBeNull();
    }
  });

  it("refuses ids and phases that are not a run's", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60]) {
      const e = carError(() => runCheckpointRef(bad, "before"));
      expect(e.code).toBe("INVALID_ARGUMENT");
      expect(e.details.key).toBe("run");
    }
    expect(carError(() => runCheckpointRef(1, "during" as "before")).details.key).toBe("phase");
  });

  it("stamps rollbacks as valid, sortable ref names, and only accepts such stamps", () => {
    const at = new Date("2026-01-02T03:04:05.006Z");
    expect(rollbackStamp(at)).toBe("2026-01-02T03-04-05.006Z");
    expect(rollbackStamp(at, 2)).toBe("2026-01-02T03-04-05.006Z-2");
    expect(rollbackRef(rollbackStamp(at, 2))).toBe("refs/car/rollbacks/2026-01-02T03-04-05.006Z-2");
    expect(undoCommand("2026-01-02T03-04-05.006Z")).toBe("car rollback --undo 2026-01-02T03-04-05.006Z");
    for (const bad of ["../../heads/main", "2026-01-02T03:04:05.006Z", "", "x"]) {
      expect(carError(() => rollbackRef(bad)).code).toBe("INVALID_ARGUMENT");
    }
  });
});
