#!/usr/bin/env node
// Stand-in for `codex exec --json` in the message-memory case: drains the prompt from stdin (like Codex),
// then prints the events of one turn whose single agent message has MESSAGE_LINES lines (default
// 1,000,000) of 10 characters ("0000000 ok": 11 MB of text, one 12 MB JSON line), the
// shape of packages/core/src/codex/fixtures/shell-then-message.jsonl. MESSAGE_SHAPE=one-line: the same
// bytes with ". " between the pieces instead of a newline (the JSON escape "\n" is two bytes too).
// MESSAGE_FORMAT=claude: Claude Code's stream-json instead (packages/core/src/agents/claude/fixtures/
// bash-then-text.jsonl): an `assistant` event with the text, then the `result` event, which repeats it.
const total = Number(process.env.MESSAGE_LINES ?? 1_000_000);
const separator = process.env.MESSAGE_SHAPE === "one-line" ? ". " : "\\n";
const claude = process.env.MESSAGE_FORMAT === "claude";
if (!process.stdin.isTTY) for await (const _ of process.stdin);

const write = (s) =>
  new Promise((resolve) => (process.stdout.write(s) ? resolve() : process.stdout.once("drain", resolve)));
/** The text as JSON, written in pieces: lines joined by an escaped newline ("\\n" in the JSON string). */
async function writeText() {
  const BATCH = 8192;
  for (let n = 0; n < total; ) {
    let chunk = "";
    const end = Math.min(total, n + BATCH);
    for (; n < end; n++) chunk += `${n === 0 ? "" : separator}${String(n).padStart(7, "0")} ok`;
    await write(chunk);
  }
}
const session = "00000000-0000-7000-8000-000000000001";
if (claude) {
  await write(
    `{"type":"system","subtype":"init","cwd":".","session_id":"${session}","model":"claude-bench"}\n`,
  );
  await write(
    '{"type":"assistant","message":{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"',
  );
  await writeText();
  await write(`"}]},"session_id":"${session}"}\n`);
  await write(
    `{"type":"result","subtype":"success","is_error":false,"num_turns":1,"session_id":"${session}","total_cost_usd":0.0123,` +
      '"usage":{"input_tokens":300,"cache_creation_input_tokens":0,"cache_read_input_tokens":20,"output_tokens":14},"result":"',
  );
  await writeText();
  await write('"}\n');
} else {
  await write(`{"type":"thread.started","thread_id":"${session}"}\n{"type":"turn.started"}\n`);
  await write('{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"');
  await writeText();
  await write('"}}\n');
  await write(
    '{"type":"turn.completed","usage":{"input_tokens":300,"cached_input_tokens":20,"output_tokens":14,"reasoning_output_tokens":4}}\n',
  );
}
