import { describe, expect, it } from "vitest";
import { carError } from "../testing/car-error.js";
import {
  checkSteerId,
  newSteerId,
  normalizeSteerText,
  orderSteerMessages,
  parseSteerFile,
  parseSteerFileName,
  queueFullError,
  STEER_MAX_BYTES,
  type SteerMessage,
  serializeSteerFile,
  steerFileName,
  utf8ByteLength,
} from "./message.js";

const ID = "1764886291123-4242-a1b2c3";

describe("steer ids and file names", () => {
  it("pads the time so ids sort by arrival as strings", () => {
    const early = newSteerId(999, 7, "000000");
    const late = newSteerId(1764886291123, 1, "ffffff");
    expect(early).toBe("0000000000999-7-000000");
    expect([late, early].sort()).toEqual([early, late]);
    expect(checkSteerId(late)).toBe(late);
  });

  it("refuses ids that could name another file", () => {
    for (const bad of ["../state.json", `${ID}/x`, `${ID}.pending`, "", "1-2-3"]) {
      const err = carError(() => checkSteerId(bad));
      expect(err.code).toBe("INVALID_ARGUMENT");
      expect(err.details.key).toBe("id");
    }
  });

  it("round-trips the state through the name", () => {
    expect(steerFileName(ID, "pending", null)).toBe(`${ID}.pending.json`);
    expect(steerFileName(ID, "delivering", 12)).toBe(`${ID}.delivering.12.json`);
    expect(parseSteerFileName(`${ID}.delivered.12.json`)).toEqual({ id: ID, state: "delivered", run_id: 12 });
    expect(parseSteerFileName(`${ID}.pending.json`)).toEqual({ id: ID, state: "pending", run_id: null });
    expect(carError(() => steerFileName(ID, "delivered", null)).code).toBe("INTERNAL");
  });

  it.each([
    `.${ID}.pending.json.4242.abcdef123456.tmp`,
    `${ID}.pending.3.json`,
    `${ID}.delivered.json`,
    `${ID}.done.1.json`,
    "notes.txt",
  ])("ignores %s", (name) => {
    expect(parseSteerFileName(name)).toBeNull();
  });
});

describe("normalizeSteerText", () => {
  it("trims and keeps inner text", () => {
    expect(normalizeSteerText("  use sqlite\n\nnot postgres \n")).toBe("use sqlite\n\nnot postgres");
  });

  it("counts the limit in UTF-8 bytes", () => {
    expect(utf8ByteLength("aé€😀")).toBe(1 + 2 + 3 + 4);
    expect(normalizeSteerText("€".repeat(STEER_MAX_BYTES / 4))).toHaveLength(STEER_MAX_BYTES / 4);
    const err = carError(() => normalizeSteerText("€".repeat(STEER_MAX_BYTES / 3 + 1)));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.details).toMatchObject({
      reason: "steer_too_large",
      expected: `at most ${STEER_MAX_BYTES} bytes`,
    });
    expect(err.message).toContain(`${STEER_MAX_BYTES} bytes`);
  });

  it("refuses empty text and NUL bytes", () => {
    expect(carError(() => normalizeSteerText(" \n\t")).details.reason).toBe("steer_empty");
    expect(carError(() => normalizeSteerText("a\0b")).details.reason).toBe("steer_not_text");
  });

  it("names the pending limit when the queue is full", () => {
    const err = queueFullError(100);
    expect(err.details).toMatchObject({ reason: "steer_queue_full", found: "100" });
  });
});

describe("parseSteerFile", () => {
  const content = serializeSteerFile({ id: ID, text: "hi", created_at: "2026-12-04T22:11:31.123Z" });

  it("takes state and run from the name, the rest from the content", () => {
    expect(parseSteerFile(`${ID}.delivering.3.json`, content)).toEqual({
      id: ID,
      text: "hi",
      created_at: "2026-12-04T22:11:31.123Z",
      state: "delivering",
      run_id: 3,
    });
  });

  it.each([
    ["{", /invalid JSON/],
    ["[]", /JSON object/],
    [JSON.stringify({ version: 2, id: ID, text: "x", created_at: "2026-01-01T00:00:00Z" }), /version 2/],
    [
      JSON.stringify({
        version: 1,
        id: "0000000000001-1-000000",
        text: "x",
        created_at: "2026-01-01T00:00:00Z",
      }),
      /does not match/,
    ],
    [JSON.stringify({ version: 1, id: ID, text: "", created_at: "2026-01-01T00:00:00Z" }), /^text:/],
    [JSON.stringify({ version: 1, id: ID, text: "x", created_at: "yesterday" }), /^created_at:/],
    [
      JSON.stringify({
        version: 1,
        id: ID,
        text: "x".repeat(STEER_MAX_BYTES + 1),
        created_at: "2026-01-01T00:00:00Z",
      }),
      /^text: over/,
    ],
  ])("reports %s as a problem, not a throw", (text, error) => {
    const r = parseSteerFile(`${ID}.pending.json`, text);
    expect("error" in r && r.error).toMatch(error);
  });
});

describe("orderSteerMessages", () => {
  const m = (id: string, state: SteerMessage["state"], run_id: number | null = null): SteerMessage => ({
    id,
    text: id,
    created_at: "2026-01-01T00:00:00Z",
    state,
    run_id,
  });

  it("sorts by id and keeps the later state of a message seen twice mid-rename", () => {
    const a = "0000000000002-1-aaaaaa";
    const b = "0000000000001-1-bbbbbb";
    const out = orderSteerMessages([m(a, "pending"), m(b, "delivered", 4), m(a, "delivering", 5)]);
    expect(out.map((x) => [x.id, x.state])).toEqual([
      [b, "delivered"],
      [a, "delivering"],
    ]);
  });
});
