import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { codexJsonBackend } from "./codex-json.js";
import { parseCodexVersion, probeCodex } from "./codex-probe.js";

function fixtureLines(name: string): string[] {
  const url = new URL(`../../codex/fixtures/${name}`, import.meta.url);
  return readFileSync(url, "utf8")
    .split("\n")
    .filter((l) => l.length > 0);
}

function runParser(
  stdout: string[],
  exit: { code: number | null; signal: string | null },
  stderr: string[] = [],
) {
  const parser = codexJsonBackend.createParser();
  const logged = [
    ...stderr.flatMap((l) => parser.push("stderr", l)),
    ...stdout.flatMap((l) => parser.push("stdout", l)),
  ];
  return { logged, summary: parser.finish(exit) };
}

describe("codexJsonBackend", () => {
  it("is the codex-json backend and keeps raw events", () => {
    expect(codexJsonBackend.name).toBe("codex-json");
    expect(codexJsonBackend.keepsRawEvents).toBe(true);
  });

  it("summarises a successful run", () => {
    const { logged, summary } = runParser(fixtureLines("shell-then-message.jsonl"), {
      code: 0,
      signal: null,
    });
    expect(logged).toContain("agent: All done.");
    expect(summary.failure).toBeNull();
    expect(summary.final_message).toBe("All done.");
    expect(summary.usage?.total_tokens).toBe(314);
    expect(summary.commands).toEqual([{ command: "echo hello > out.txt; cat out.txt", exit_code: 0 }]);
  });

  it("classifies a failed turn by its message", () => {
    expect(runParser(fixtureLines("http-500.jsonl"), { code: 1, signal: null }).summary.failure).toEqual({
      kind: "transient",
      message: "We’re currently experiencing high demand, which may cause temporary errors.",
    });
    expect(
      runParser(fixtureLines("unauthorized.jsonl"), { code: 1, signal: null }).summary.failure?.kind,
    ).toBe("fatal");
    const rate = runParser(fixtureLines("rate-limit.jsonl"), { code: 1, signal: null }).summary.failure;
    expect(rate).toMatchObject({ kind: "rate_limit", retryAfterMs: 11_054 });
  });

  it("fails a run that exited non-zero without a completed turn, transient when the stream dropped", () => {
    const dropped = runParser(
      [
        '{"type":"thread.started","thread_id":"t"}',
        '{"type":"error","message":"Reconnecting... 1/5 (stream disconnected)"}',
      ],
      { code: null, signal: "SIGKILL" },
    ).summary.failure;
    expect(dropped?.kind).toBe("transient");
    expect(dropped?.message).toContain("signal SIGKILL");

    const badConfig = runParser([], { code: 1, signal: null }, [
      "WARNING: proceeding, even though we could not create PATH aliases",
      "Error loading config.toml: invalid type: string, expected a map",
    ]).summary.failure;
    expect(badConfig).toEqual({
      kind: "fatal",
      message: "codex exited with code 1: Error loading config.toml: invalid type: string, expected a map",
    });
    // stderr is logged verbatim.
    expect(runParser([], { code: 0, signal: null }, ["warn"]).logged).toEqual(["warn"]);
  });

  it("counts exit 0 as success even without events, and a completed turn despite a non-zero exit", () => {
    expect(runParser(["plain"], { code: 0, signal: null }).summary.failure).toBeNull();
    const completed = runParser(['{"type":"turn.completed","usage":{"input_tokens":1,"output_tokens":1}}'], {
      code: 1,
      signal: null,
    });
    expect(completed.summary.failure).toBeNull();
  });

  it("lines() gives push()'s lines for every event; the final message is cut to its end on request", () => {
    const events = [
      ...fixtureLines("patch-and-commands.jsonl"),
      ...fixtureLines("http-500-reconnects.jsonl"),
    ];
    const eager = codexJsonBackend.createParser();
    const lazy = codexJsonBackend.createParser({ finalMessageMaxChars: 5 });
    const pushed = ["a warning", ...events].map((l, i) => eager.push(i === 0 ? "stderr" : "stdout", l));
    const iterated = ["a warning", ...events].map((l, i) => [
      ...lazy.lines(i === 0 ? "stderr" : "stdout", l),
    ]);
    expect(iterated).toEqual(pushed);
    expect(pushed.flat()).toContain("a warning");
    const full = eager.finish({ code: 0, signal: null });
    const cut = lazy.finish({ code: 0, signal: null });
    expect(full.final_message?.length).toBeGreaterThan(5);
    expect(cut).toEqual({ ...full, final_message: full.final_message?.slice(-5) });
  });

  it("reports file changes relative to the cwd it is given", () => {
    const parser = codexJsonBackend.createParser({ cwd: "/tmp/cx/ws.s3" });
    for (const l of fixtureLines("patch-and-commands.jsonl")) parser.push("stdout", l);
    expect(parser.finish({ code: 0, signal: null }).files_changed).toEqual(["hello.txt"]);
  });
});

describe("probeCodex", () => {
  const dir = mkdtempSync(join(tmpdir(), "car-probe-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function fakeCodex(name: string, helpText: string): string {
    const p = join(dir, name);
    writeFileSync(
      p,
      `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "codex-cli 0.169.0"; exit 0; fi\ncat <<'EOF'\n${helpText}\nEOF\n`,
    );
    chmodSync(p, 0o755);
    return p;
  }

  it("reads the version and detects --json", async () => {
    const probe = await probeCodex(
      fakeCodex("new", "Options:\n      --json\n          Print events to stdout as JSONL"),
    );
    expect(probe).toEqual({ version: "0.169.0", jsonSupported: true, error: null });
  });

  it("reports a codex without --json", async () => {
    const probe = await probeCodex(fakeCodex("old", "Options:\n  --sandbox <MODE>"));
    expect(probe.jsonSupported).toBe(false);
    expect(probe.version).toBe("0.169.0");
  });

  it("names a --version that hangs (its whole process group ended) and one that reads stdin gets EOF", async () => {
    const hang = join(dir, "hang");
    writeFileSync(hang, "#!/bin/sh\nsleep 600\n", { mode: 0o755 });
    expect(await probeCodex(hang, { timeoutMs: 300 })).toEqual({
      version: null,
      jsonSupported: false,
      error: `${hang} --version timed out after 0.3 s`,
    });
    const reader = join(dir, "reader");
    writeFileSync(reader, "#!/bin/sh\ncat >/dev/null\necho 'codex-cli 0.170.0 --json'\n", { mode: 0o755 });
    expect(await probeCodex(reader, { timeoutMs: 10_000 })).toEqual({
      version: "0.170.0",
      jsonSupported: true,
      error: null,
    });
  });

  it("explains a missing binary", async () => {
    const probe = await probeCodex(join(dir, "nope"));
    expect(probe.version).toBeNull();
    expect(probe.error).toMatch(/not found/);
  });

  it("parses version strings", () => {
    expect(parseCodexVersion("codex-cli 0.169.0\n")).toBe("0.169.0");
    expect(parseCodexVersion("codex 1.2.3-alpha.1")).toBe("1.2.3-alpha.1");
    expect(parseCodexVersion("nothing")).toBeNull();
  });
});
