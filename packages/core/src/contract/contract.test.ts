import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { LockInfo, RunnerStatus, RunRecord, TokenUsage } from "../types.js";
import { apiErrorSchema, statusForCode } from "./errors.js";
import { HTTP_CONTRACT, type RouteQuery, type RouteResponse } from "./http.js";
import {
  type lockInfoSchema,
  type runnerStatusSchema,
  runRecordSchema,
  type tokenUsageSchema,
} from "./records.js";
import { ROUTES, routePath } from "./routes.js";
import { STREAM_EVENTS } from "./sse.js";
import { emptyStateBody, type StateBody, stateBodySchema } from "./state.js";

const idleState: StateBody = emptyStateBody("/repo", {
  outstanding_count: 1,
  todo_items: [{ text: "first", done: false, line: 3 }],
});

describe("the HTTP contract", () => {
  it("describes every route of the table, and only those", () => {
    expect(Object.keys(HTTP_CONTRACT).sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it("fills path parameters, encoded", () => {
    expect(routePath("doc", { kind: "todo" })).toBe("/api/docs/todo");
    expect(routePath("doc", { kind: "../a b" })).toBe("/api/docs/..%2Fa%20b");
    expect(routePath("run", { id: 12 })).toBe("/api/runs/12");
    expect(routePath("state", {})).toBe("/api/state");
  });

  it("rejects a renamed, missing or extra key in a response", () => {
    expect(stateBodySchema.parse(idleState)).toEqual(idleState);
    const { todo_items, ...rest } = idleState;
    expect(stateBodySchema.safeParse({ ...rest, todo: todo_items }).success).toBe(false);
    expect(stateBodySchema.safeParse(rest).success).toBe(false);
    const runs = HTTP_CONTRACT.runs.response;
    const page = { runs: [], total: 0, limit: 50, offset: 0, next: null, corrupt: [] };
    expect(runs.safeParse(page).success).toBe(true);
    expect(runs.safeParse({ ...page, items: [] }).success).toBe(false);
    expect(runs.safeParse([]).success).toBe(false);
  });

  it("defaults and checks query parameters one at a time", () => {
    const { limit, offset } = HTTP_CONTRACT.runs.query;
    expect(limit.parse(undefined)).toBe(50);
    expect(offset.parse("7")).toBe(7);
    const bad = limit.safeParse("501");
    expect(bad.error?.issues[0]?.message).toBe("expected an integer from 1 to 500");
    expect(limit.safeParse("1e3").success).toBe(false);
  });

  it("keeps one error shape, with the status each code is answered with", () => {
    expect(apiErrorSchema.parse({ detail: "held", code: "LOCK_HELD", pid: 4 })).toEqual({
      detail: "held",
      code: "LOCK_HELD",
      pid: 4,
    });
    expect(apiErrorSchema.safeParse({ message: "x", code: "LOCK_HELD" }).success).toBe(false);
    expect(apiErrorSchema.safeParse({ detail: "x", code: "NOPE" }).success).toBe(false);
    expect([
      statusForCode("DOC_CONFLICT"),
      statusForCode("FORBIDDEN_ORIGIN"),
      statusForCode("IO_ERROR"),
    ]).toEqual([409, 403, 500]);
  });

  it("sends the state body as the stream's state event", () => {
    expect(STREAM_EVENTS.state).toBe(stateBodySchema);
    expect(
      STREAM_EVENTS.run.safeParse({ run_id: 1, phase: "end", code: 0, line: "=== run 1 end (code 0) ===" })
        .success,
    ).toBe(true);
    expect(STREAM_EVENTS.run.safeParse({ run_id: 1, event: "end", code: 0 }).success).toBe(false);
  });

  it("has the same shapes as the domain types (checked by the type checker)", () => {
    expectTypeOf<z.output<typeof runRecordSchema>>().toEqualTypeOf<RunRecord>();
    expectTypeOf<z.output<typeof tokenUsageSchema>>().toEqualTypeOf<TokenUsage>();
    expectTypeOf<z.output<typeof lockInfoSchema>>().toEqualTypeOf<LockInfo>();
    expectTypeOf<z.output<typeof runnerStatusSchema>>().toEqualTypeOf<RunnerStatus>();
    expectTypeOf<RouteResponse<"state">>().toEqualTypeOf<StateBody>();
    expectTypeOf<RouteQuery<"runs">>().toEqualTypeOf<{ limit?: number | null; offset?: number | null }>();
    expect(runRecordSchema).toBeDefined();
  });
});
