import { describe, expect, it } from "vitest";
import { chainMarker, environHasMarker, RUN_MARKER_ENV } from "./marker.js";

const environ = (...entries: string[]) => `${entries.join("\0")}\0`;

describe("run markers", () => {
  it("chains a new run's marker after an inherited one (car under car)", () => {
    expect(chainMarker(undefined, "car-b")).toBe("car-b");
    expect(chainMarker("", "car-b")).toBe("car-b");
    expect(chainMarker("car-a", "car-b")).toBe("car-a,car-b");
  });

  it("finds a marker anywhere in the variable's list, in any position of the environment", () => {
    const env = environ("PATH=/bin", `${RUN_MARKER_ENV}=car-a,car-b`, "HOME=/root");
    expect(environHasMarker(env, "car-a")).toBe(true);
    expect(environHasMarker(env, "car-b")).toBe(true);
    expect(environHasMarker(environ(`${RUN_MARKER_ENV}=car-a`), "car-a")).toBe(true);
    expect(environHasMarker(`${RUN_MARKER_ENV}=car-a`, "car-a")).toBe(true); // no trailing NUL
  });

  it("matches whole markers only, and only in that variable", () => {
    const env = environ(`${RUN_MARKER_ENV}=car-ab`, "OTHER=car-a", `X${RUN_MARKER_ENV}=car-a`);
    expect(environHasMarker(env, "car-a")).toBe(false);
    expect(environHasMarker(env, "car-ab")).toBe(true);
    expect(environHasMarker(environ("PATH=/bin"), "car-a")).toBe(false);
    expect(environHasMarker(environ(`${RUN_MARKER_ENV}=`), "")).toBe(false);
  });
});
