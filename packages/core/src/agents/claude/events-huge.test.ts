import { describe, expect, it } from "vitest";
import { createClaudeAccumulator, withoutResultText } from "./events.js";

/** A JSON string literal's inside, as a line carries it. */
const inner = (s: string) => JSON.stringify(s).slice(1, -1);
const result = (fields: string) => `{"type":"result","is_error":false,"num_turns":1,${fields}}`;

describe("withoutResultText on every way JSON escapes a string", () => {
  const cases: Array<[string, string]> = [
    ["an escaped quote", 'say "hi"'],
    ["an escaped backslash before the closing quote", "ends in \\"],
    ["several backslashes at the end", "ends in \\\\\\\\"],
    ["a backslash then an escaped quote", '\\"'],
    ["a \\u0022 escape", "\u0022"],
    ["the key text inside the value", '"result":"fake'],
    ["the empty string", ""],
  ];
  for (const [name, value] of cases) {
    it(`empties only the result value: ${name}`, () => {
      const line = result(`"result":"${inner(value)}","session_id":"s","total_cost_usd":1`);
      const out = withoutResultText(line);
      expect(out).toBe(result('"result":"","session_id":"s","total_cost_usd":1'));
      expect(JSON.parse(out as string)).toMatchObject({ result: "", session_id: "s", total_cost_usd: 1 });
    });
  }

  it("keeps a literal \\u0022 written by the agent, which is no quote", () => {
    const line = result('"result":"a\\u0022b","x":1');
    expect(withoutResultText(line)).toBe(result('"result":"","x":1'));
  });

  it('is not fooled by `"result":"` or `"type":"result"` inside another string value', () => {
    const decoy = `{"type":"result","subtype":"${inner('"result":"x')}","result":"real","n":2}`;
    expect(withoutResultText(decoy)).toBe(
      `{"type":"result","subtype":"${inner('"result":"x')}","result":"","n":2}`,
    );
    const notResult = `{"type":"assistant","text":"${inner('"type":"result","result":"x"')}"}`;
    expect(withoutResultText(notResult)).toBeNull();
  });

  it("leaves a result that is null, a number, an object or missing, and an unterminated one", () => {
    expect(withoutResultText(result('"result":null'))).toBeNull();
    expect(withoutResultText(result('"result":5'))).toBeNull();
    expect(withoutResultText(result('"result":{"a":"b"}'))).toBeNull();
    expect(withoutResultText(result('"errors":["x"]'))).toBeNull();
    expect(withoutResultText(result('"result":"never ends \\"'))).toBeNull();
  });
});

describe("a result line over 1 MB", () => {
  const big = (n: number) => `${"y".repeat(n)} "q" \\ end`;

  it("under the threshold: the result text is read as given, even when it differs from the message", () => {
    const acc = createClaudeAccumulator();
    acc.push(`{"type":"assistant","message":{"content":[{"type":"text","text":"earlier"}]}}`);
    const text = big(900_000);
    acc.push(result(`"result":"${inner(text)}"`));
    expect(acc.summary().final_message).toBe(text);
  });

  it("over it: the final message is the tail of the last message's text blocks joined by newlines", () => {
    const acc = createClaudeAccumulator({ finalMessageMaxChars: 30 });
    const a = big(1_000_000);
    const b = `second block ${"z".repeat(10)}`;
    acc.push(
      `{"type":"assistant","message":{"content":[{"type":"text","text":"${inner(a)}"},{"type":"tool_use","id":"t","name":"X","input":{}},{"type":"text","text":"${inner(b)}"}]}}`,
    );
    const line = result(`"result":"${inner(`${a}\n${b}`)}","total_cost_usd":0.5`);
    expect(line.length).toBeGreaterThan(1_000_000);
    acc.push(line);
    expect(acc.summary()).toMatchObject({ final_message: `${a}\n${b}`.slice(-30), cost_usd: 0.5 });
  });

  it("over it, with short blocks: the tail crosses the block boundary exactly as a join would", () => {
    const acc = createClaudeAccumulator({ finalMessageMaxChars: 5 });
    acc.push(
      `{"type":"assistant","message":{"content":[{"type":"text","text":"abc"},{"type":"text","text":"de"}]}}`,
    );
    acc.push(result(`"result":"${"w".repeat(1_000_001)}"`));
    expect(acc.summary().final_message).toBe("bc\nde");
  });

  it("over it, the result being genuinely empty: the final message stays empty", () => {
    const acc = createClaudeAccumulator();
    acc.push(`{"type":"assistant","message":{"content":[{"type":"text","text":"said before"}]}}`);
    acc.push(result(`"result":"","padding":"${"p".repeat(1_000_001)}"`));
    expect(acc.summary().final_message).toBe("");
  });

  it("over it, a failed run: the error is the API error the result repeats, not the last message", () => {
    const acc = createClaudeAccumulator();
    acc.push(`{"type":"assistant","message":{"content":[{"type":"text","text":"working on it"}]}}`);
    const apiError = `API Error: 500 ${"e".repeat(1_000_001)}`;
    acc.push(
      `{"type":"assistant","is_api_error_message":true,"message":{"content":[{"type":"text","text":"${apiError}"}]}}`,
    );
    acc.push(`{"type":"result","is_error":true,"api_error_status":500,"result":"${apiError}"}`);
    expect(acc.summary()).toMatchObject({ is_error: true, error: apiError, final_message: null });
  });

  it("a nested result key in a huge assistant event does not change what is logged of the text", () => {
    const acc = createClaudeAccumulator();
    const text = "t".repeat(1_000_001);
    const out = acc.push(
      `{"type":"assistant","message":{"content":[{"type":"text","text":"${text}"},{"type":"tool_use","id":"u","name":"Mcp","input":{"type":"result","result":"kept"}}]}}`,
    );
    expect(out[0]).toBe(text);
    expect(out[1]).toBe('[tool] Mcp {"type":"result","result":"kept"}');
  });
});

describe("hostile ids and amounts", () => {
  it("clips a session id to 200 characters and ignores a non-string one", () => {
    const acc = createClaudeAccumulator();
    acc.push(`{"type":"system","subtype":"init","session_id":"${"i".repeat(5000)}"}`);
    const id = acc.summary().thread_id as string;
    expect(id).toHaveLength(200);
    expect(id.endsWith("…")).toBe(true);
    acc.push('{"type":"system","subtype":"init","session_id":42}');
    expect(acc.summary().thread_id).toBe(id);
  });

  it("takes costs up to a million dollars, and not NaN-like or absent ones", () => {
    const cost = (raw: string) => {
      const acc = createClaudeAccumulator();
      acc.push(result(`"result":"ok","total_cost_usd":${raw}`));
      return acc.summary().cost_usd;
    };
    expect(cost("0")).toBe(0);
    expect(cost("1000000")).toBe(1_000_000);
    expect(cost("1000000.01")).toBeNull();
    expect(cost("-0.0001")).toBeNull();
    expect(cost("null")).toBeNull();
    expect(cost("true")).toBeNull();
  });
});
