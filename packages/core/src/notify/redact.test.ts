import { describe, expect, it } from "vitest";
import { redact } from "./redact.js";

describe("redact", () => {
  it("replaces every secret, also percent-encoded, longest first", () => {
    const token = "123456:ABC-def_ghi";
    const url = `https://api.telegram.test/bot${token}/sendMessage`;
    expect(redact(`Failed to parse URL from ${url}`, [token])).toBe(
      "Failed to parse URL from https://api.telegram.test/bot***/sendMessage",
    );
    expect(redact("auth=p%40ss%20word!", ["p@ss word"])).toBe("auth=***!");
    const hook = "https://hooks.slack.test/services/T0/B0/secret";
    expect(redact(`POST ${hook} failed; token secret`, [hook, "secret"])).toBe("POST *** failed; token ***");
    expect(redact("nothing here", ["", "absent"])).toBe("nothing here");
  });

  it("hides credentials in any URL", () => {
    expect(redact("cannot use https://me:pa55@ntfy.test/t or http://tok@h.test", [])).toBe(
      "cannot use https://***@ntfy.test/t or http://***@h.test",
    );
  });
});
