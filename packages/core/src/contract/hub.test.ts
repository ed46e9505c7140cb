import { describe, expect, it } from "vitest";
import { HUB_PATH_NO_NUL, hubAddRepoBodySchema } from "./hub.js";

describe("POST /hub/repos body", () => {
  it("refuses a path with a NUL character (resolve would turn zz\\0/../delta into delta)", () => {
    const bad = hubAddRepoBodySchema.safeParse({ path: "zz\u0000/../delta" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues).toMatchObject([{ path: ["path"], message: HUB_PATH_NO_NUL }]);
    expect(hubAddRepoBodySchema.safeParse({ path: "zz/../delta", init: true }).success).toBe(true);
    expect(hubAddRepoBodySchema.safeParse({ path: "x".repeat(4097) }).success).toBe(false);
    expect(hubAddRepoBodySchema.safeParse({ path: "" }).success).toBe(false);
  });
});
