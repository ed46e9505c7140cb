import { describe, expect, it } from "vitest";
import { renderSteering } from "./prompt.js";

describe("renderSteering", () => {
  it("is empty without messages, so {{STEERING}} disappears", () => {
    expect(renderSteering([])).toBe("");
  });

  it("lists messages oldest first with when each was sent, then a blank line", () => {
    const out = renderSteering([
      { id: "1764886300000-2-bbbbbb", text: "then add tests\n", created_at: "2026-12-04T22:11:40.000Z" },
      {
        id: "1764886291123-1-aaaaaa",
        text: "use sqlite,\nnot postgres",
        created_at: "2026-12-04T22:11:31.123Z",
      },
    ]);
    expect(out).toBe(
      [
        "<STEERING>",
        "The developer sent these 2 messages while the loop was running (oldest first). Act on them in this run; where one conflicts with TODO, OPINIONS or an earlier message, the later message wins.",
        "",
        "Message 1 (sent 2026-12-04 22:11:31 UTC):",
        "use sqlite,",
        "not postgres",
        "",
        "Message 2 (sent 2026-12-04 22:11:40 UTC):",
        "then add tests",
        "</STEERING>",
        "",
        "",
      ].join("\n"),
    );
  });

  it("words a single message in the singular", () => {
    const out = renderSteering([
      { id: "1764886291123-1-aaaaaa", text: "stop", created_at: "2026-12-04T22:11:31Z" },
    ]);
    expect(out).toContain("sent this message");
    expect(out).toContain("Message 1 (sent 2026-12-04 22:11:31 UTC):\nstop\n</STEERING>\n\n");
  });
});
