import { describe, expect, it } from "vitest";
import { configHoldsAuthToken } from "./literal-token.js";

describe("configHoldsAuthToken", () => {
  it("is true for a literal server.auth_token, in YAML or JSON spelling", () => {
    expect(configHoldsAuthToken('version: 1\nserver:\n  auth_token: "0123456789abcdef0123"\n')).toBe(true);
    expect(configHoldsAuthToken('{"server": {"port": 1, "auth_token": "0123456789abcdef0123"}}')).toBe(true);
  });

  it("is false without a token: none, null, empty, or the key elsewhere", () => {
    expect(configHoldsAuthToken("version: 1\n")).toBe(false);
    expect(configHoldsAuthToken("server:\n  auth_token: null  # use CAR_AUTH_TOKEN\n")).toBe(false);
    expect(configHoldsAuthToken('server:\n  auth_token: ""\n')).toBe(false);
    expect(configHoldsAuthToken('docs:\n  auth_token: "0123456789abcdef0123"\n')).toBe(false);
  });

  it("reads malformed YAML conservatively: a line setting auth_token counts", () => {
    expect(configHoldsAuthToken('server: [\n  auth_token: "0123456789abcdef0123"\n')).toBe(true);
    expect(configHoldsAuthToken("server: [\n  auth_token: null\n")).toBe(false);
    expect(configHoldsAuthToken("server: [\n  auth_token:   # none\n")).toBe(false);
    expect(configHoldsAuthToken("server: [\n  auth_token:\n  port: 1\n")).toBe(false);
  });
});
