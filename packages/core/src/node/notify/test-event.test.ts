// `car notify test`'s core: one test event to every target, each result reported.
import { type Receiver, startReceiver } from "@codex-autorunner/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { parseTargets } from "../../notify/test-fixtures.js";
import { sendTestEvent } from "./test-event.js";

let r: Receiver | undefined;
afterEach(async () => {
  await r?.close();
});

describe("sendTestEvent", () => {
  it("sends the chosen event to every target, whatever its filter, and reports each result", async () => {
    r = await startReceiver((req, _n, res) => {
      res.writeHead(req.url === "/broken" ? 502 : 200).end();
    });
    const results = await sendTestEvent(
      parseTargets([
        { type: "webhook", url: `${r.origin}/hook`, events: ["needs_input"] },
        { type: "ntfy", url: `${r.origin}/broken` },
        { type: "telegram", bot_token_env: "NO_SUCH_VAR", chat_id: "1" },
      ]),
      { event: "run_finished", root: "/srv/shop", env: {}, timeoutMs: 5_000, backoffMs: 10 },
    );
    expect(
      results.map(({ label, ok, status, error, attempts }) => ({ label, ok, status, error, attempts })),
    ).toEqual([
      { label: "webhook[0]", ok: true, status: 200, error: null, attempts: 1 },
      { label: "ntfy[1]", ok: false, status: 502, error: "HTTP 502", attempts: 1 },
      {
        label: "telegram[2]",
        ok: false,
        status: null,
        error: "environment variable NO_SUCH_VAR (notify.targets[2].bot_token_env) is not set",
        attempts: 0,
      },
    ]);
    for (const res of results) expect(res.duration_ms).toBeGreaterThanOrEqual(0);
    const hook = r.requests.find((q) => q.url === "/hook");
    expect(hook?.headers["x-car-event"]).toBe("run_finished");
    expect(JSON.parse(hook!.body)).toMatchObject({
      event: "run_finished",
      repo: { name: "shop", path: "/srv/shop" },
      test: true,
    });
  });
});
