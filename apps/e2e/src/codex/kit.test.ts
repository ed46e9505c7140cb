/**
 * The offline kit itself, proven with the real Codex CLI (no `car` involved): the scripted model
 * server speaks enough of the Responses protocol for codex to run shell calls, report usage, and
 * surface each injected fault as the failure car's classifier expects.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CodexHome,
  commandThenSay,
  dropStream,
  hang,
  httpError,
  type ModelServer,
  makeCodexHome,
  runCodexExec,
  say,
  shQuote,
  startModelServer,
  waitFor,
} from "@codex-autorunner/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

let home: CodexHome;
let work: string;
let server: ModelServer | null = null;

beforeEach(() => {
  home = makeCodexHome();
  work = mkdtempSync(join(tmpdir(), "car-codex-kit-"));
});

afterEach(async () => {
  await server?.close();
  server = null;
  home.cleanup();
  rmSync(work, { recursive: true, force: true });
});

function ofType(events: Array<Record<string, unknown>>, type: string) {
  return events.filter((e) => e.type === type);
}

describe("scripted model server + real codex exec --json", () => {
  it("runs the model's exec_command, reports the message, and sums usage exactly as served", async () => {
    server = await startModelServer({
      script: commandThenSay(`printf 'made by codex' > ${shQuote(join(work, "out.txt"))}`, "Wrote out.txt", {
        command: { input_tokens: 1234, cached_tokens: 200, output_tokens: 56, reasoning_tokens: 7 },
        message: { input_tokens: 1500, cached_tokens: 1000, output_tokens: 20, reasoning_tokens: 3 },
      }),
    });
    const r = await runCodexExec({ server, cwd: work, prompt: "Please write out.txt", codexHome: home });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(work, "out.txt"), "utf8")).toBe("made by codex");

    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.prompt).toBe("Please write out.txt");
    expect(server.requests[0]?.isFollowUp).toBe(false);
    expect(server.requests[1]?.isFollowUp).toBe(true);
    expect(server.requests[1]?.functionOutputs[0]?.output).toContain("Process exited with code 0");
    expect(server.requests[0]?.threadId).toBe(server.requests[1]?.threadId);

    const commands = ofType(r.events, "item.completed")
      .map((e) => e.item as Record<string, unknown>)
      .filter((i) => i.type === "command_execution");
    expect(commands).toHaveLength(1);
    expect(commands[0]?.exit_code).toBe(0);
    const messages = ofType(r.events, "item.completed")
      .map((e) => e.item as Record<string, unknown>)
      .filter((i) => i.type === "agent_message");
    expect(messages.map((m) => m.text)).toEqual(["Wrote out.txt"]);

    const completed = ofType(r.events, "turn.completed");
    expect(completed).toHaveLength(1);
    expect(completed[0]?.usage).toMatchObject({
      input_tokens: 2734,
      cached_input_tokens: 1200,
      output_tokens: 76,
      reasoning_output_tokens: 10,
    });
    expect(server.servedUsage()).toEqual({
      input_tokens: 2734,
      cached_tokens: 1200,
      output_tokens: 76,
      reasoning_tokens: 10,
    });
  });

  it("passes a 300 KB prompt through stdin intact", async () => {
    server = await startModelServer({ script: [say("big prompt received")] });
    const prompt = `${"lorem ipsum dolor sit amet ".repeat(12_000)}\nEND-MARKER-7f3a`;
    expect(prompt.length).toBeGreaterThan(300_000);
    const r = await runCodexExec({ server, cwd: work, prompt, codexHome: home });
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests[0]?.prompt.trimEnd()).toBe(prompt);
  });

  it("an HTTP 500 fails the turn with a message (codex's own retries off)", async () => {
    server = await startModelServer({ script: [httpError(500)] });
    const r = await runCodexExec({ server, cwd: work, prompt: "hi", codexHome: home });
    expect(r.code).not.toBe(0);
    const failed = ofType(r.events, "turn.failed");
    expect(failed).toHaveLength(1);
    expect(JSON.stringify(failed[0])).toMatch(/high demand/);
    expect(server.requests).toHaveLength(1);
  });

  it("a dropped stream fails the turn as a disconnect; with codex's reconnects it recovers", async () => {
    server = await startModelServer({ script: [dropStream()] });
    const r = await runCodexExec({ server, cwd: work, prompt: "hi", codexHome: home });
    expect(r.code).not.toBe(0);
    expect(JSON.stringify(ofType(r.events, "turn.failed")[0])).toMatch(/stream disconnected/);
    await server.close();

    server = await startModelServer({ script: [dropStream(), say("second try worked")] });
    const ok = await runCodexExec({
      server,
      cwd: work,
      prompt: "hi",
      codexHome: home,
      args: { streamMaxRetries: 1 },
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ofType(ok.events, "error").map((e) => e.message)).toEqual([
      expect.stringMatching(/^Reconnecting\.\.\. 1\/1/),
    ]);
    expect(ofType(ok.events, "turn.completed")).toHaveLength(1);
  });

  it("a hanging model keeps codex waiting until it is killed", async () => {
    const srv = await startModelServer({ script: [hang()] });
    server = srv;
    const run = runCodexExec({ server: srv, cwd: work, prompt: "hi", codexHome: home, timeoutMs: 6_000 });
    // The request is held open while codex waits on it.
    await waitFor(() => srv.pending() === 1, { timeoutMs: 20_000, what: "codex request pending" });
    const r = await run;
    expect(r.signal).toBe("SIGKILL");
    expect(ofType(r.events, "turn.completed")).toHaveLength(0);
    expect(ofType(r.events, "turn.failed")).toHaveLength(0);
    expect(srv.steps.map((s) => s.type)).toEqual(["hang"]);
    // Killing codex closed its connection: nothing is left waiting.
    await waitFor(() => srv.pending() === 0, { what: "hung request released" });
  });

  it("--sandbox read-only keeps the model's shell call from writing", async () => {
    server = await startModelServer({
      script: commandThenSay("echo pwned > pwned.txt", "I could not write"),
    });
    const r = await runCodexExec({
      server,
      cwd: work,
      prompt: "write a file",
      codexHome: home,
      args: { sandbox: "read-only" },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(work, "pwned.txt"))).toBe(false);
    expect(server.requests[1]?.functionOutputs[0]?.output).toMatch(
      /Read-only file system|exited with code [1-9]/,
    );
  });
});
