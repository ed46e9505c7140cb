import { createHmac } from "node:crypto";
import { makeTempRepo, refusedPort, runCar, startReceiver, type TempRepo } from "@codex-autorunner/testkit";
import { afterEach, describe, expect, it } from "vitest";

// `car notify test` through the BUILT bin against a real HTTP receiver on 127.0.0.1.

const SECRET = "s3cret-for-the-signature-0123456789";
const NTFY_TOKEN = "tk_ntfy_token_value_abcdef";

let repo: TempRepo | null = null;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  repo?.cleanup();
  repo = null;
});

async function receiver(answer?: number) {
  const r = await startReceiver(answer);
  closers.push(r.close);
  return r;
}

describe("car notify test (built bin)", () => {
  it("sends a signed test event to every target and reports each as ok", async () => {
    const rx = await receiver();
    repo = makeTempRepo({
      config: {
        notify: {
          targets: [
            { type: "webhook", url: `${rx.origin}/hook`, secret_env: "CAR_T_WEBHOOK_SECRET" },
            { type: "ntfy", url: `${rx.origin}/topic`, token_env: "CAR_T_NTFY_TOKEN" },
          ],
        },
      },
    });
    const r = await runCar(["notify", "test", "--event", "needs_input"], {
      cwd: repo.root,
      env: { CAR_T_WEBHOOK_SECRET: SECRET, CAR_T_NTFY_TOKEN: NTFY_TOKEN },
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok {6}webhook\[0\] {2}HTTP 200/m);
    expect(r.stdout).toMatch(/^ok {6}ntfy\[1\] {5}HTTP 200/m);
    expect(r.stdout).toContain("every target got the test event");

    const hook = rx.requests.find((q) => q.url === "/hook");
    expect(hook?.method).toBe("POST");
    expect(hook?.headers["x-car-event"]).toBe("needs_input");
    const expected = `sha256=${createHmac("sha256", SECRET).update(hook!.body).digest("hex")}`;
    expect(hook?.headers["x-car-signature"]).toBe(expected);
    expect(JSON.parse(hook!.body)).toMatchObject({ event: "needs_input" });
    expect(rx.requests.find((q) => q.url === "/topic")?.headers.authorization).toBe(`Bearer ${NTFY_TOKEN}`);
    // Neither secret, nor the receiver's URL, is printed.
    for (const text of [r.stdout, r.stderr]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(NTFY_TOKEN);
      expect(text).not.toContain(rx.origin);
    }
  });

  it("exit 1 when a target fails: a refused port, a missing secret variable (named, never valued)", async () => {
    const rx = await receiver();
    const down = await receiver(503);
    const port = await refusedPort();
    repo = makeTempRepo({
      config: {
        notify: {
          targets: [
            { type: "webhook", url: `${rx.origin}/ok` },
            { type: "webhook", url: `http://127.0.0.1:${port}/refused` },
            { type: "slack", url_env: "CAR_T_SLACK_URL_UNSET" },
            { type: "webhook", url: `${down.origin}/down` },
          ],
        },
      },
    });
    const r = await runCar(["notify", "test"], { cwd: repo.root, env: { CAR_T_SLACK_URL_UNSET: undefined } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ok {6}webhook\[0\] {2}HTTP 200/m);
    expect(r.stdout).toMatch(/^FAILED {2}webhook\[1\] {2}no answer: .*ECONNREFUSED/m);
    expect(r.stdout).toMatch(/^FAILED {2}slack\[2\] {4}not sent: .*CAR_T_SLACK_URL_UNSET .*is not set/m);
    // The status once, then what the target said.
    expect(r.stdout).toMatch(/^FAILED {2}webhook\[3\] {2}HTTP 503: \{"ok":false\} \(/m);
    expect(r.stderr).toContain("car: 3 of 4 targets failed");
    expect(rx.requests.map((q) => q.headers["x-car-event"])).toEqual(["loop_stopped"]);
  });

  it("no targets configured: says so, exit 1; an unknown --event is bad usage", async () => {
    repo = makeTempRepo();
    const none = await runCar(["notify", "test"], { cwd: repo.root });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no notification targets are configured (notify.targets");
    const bad = await runCar(["notify", "test", "--event", "lunch"], { cwd: repo.root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--event lunch: expected one of loop_stopped");
  });
});
