import { describe, expect, it } from "vitest";
import { createStore } from "./store.js";

describe("createStore", () => {
  it("publish merges a patch into a new snapshot and keeps the other fields", () => {
    const store = createStore({ a: 1, b: "x" });
    const first = store.get();
    store.publish({ a: 2 });
    expect(store.get()).toEqual({ a: 2, b: "x" });
    expect(store.get()).not.toBe(first);
    expect(first).toEqual({ a: 1, b: "x" });
  });
});
