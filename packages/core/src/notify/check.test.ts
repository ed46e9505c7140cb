import { describe, expect, it } from "vitest";
import { checkTargets, describeProblems } from "./check.js";
import { parseTargets as targets } from "./test-fixtures.js";

describe("checkTargets", () => {
  it("accepts the issue's targets", () => {
    expect(
      checkTargets(
        targets([
          { type: "webhook", url: "https://example.test/hook", secret_env: "S" },
          { type: "slack", url_env: "SLACK_WEBHOOK_URL", events: ["run_finished", "loop_stopped"] },
          { type: "telegram", bot_token_env: "T", chat_id: "1" },
        ]),
      ),
    ).toEqual([]);
  });

  it("needs exactly one of url and url_env on URL targets", () => {
    const problems = checkTargets(
      targets([{ type: "discord" }, { type: "ntfy", url: "https://n.test/t", url_env: "NTFY_URL" }]),
    );
    expect(problems).toEqual([
      {
        key: "notify.targets[0].url",
        expected: "a URL in url, or the name of a variable holding it in url_env (discord needs one)",
      },
      { key: "notify.targets[1].url_env", expected: "either url or url_env, not both" },
    ]);
  });

  it("names the unknown event and refuses an empty list", () => {
    const problems = checkTargets(
      targets([
        { type: "webhook", url: "https://x.test", events: ["loop_stopped", "run_done"] },
        { type: "webhook", url: "https://x.test", events: [] },
      ]),
    );
    expect(describeProblems(problems)).toBe(
      "notify.targets[0].events[1]: expected one of loop_stopped, run_failed, run_finished, waiting, resumed, " +
        'needs_input, found "run_done"\n' +
        "notify.targets[1].events: expected at least one event, or null for the default (remove the target to silence it)",
    );
  });
});
