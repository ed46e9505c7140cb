import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { STEER_MAX_BYTES } from "@codex-autorunner/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "./start.js";
import { makeRepo, type TestRepo } from "./test-support.js";

/** `/api/steer` on a real server over a temp repo: the queue's files on disk, its limits, its guards. */

const TOKEN = "steer-test-token-0123456789";
let repo: TestRepo;
let server: RunningServer;

async function api(
  method: string,
  path: string,
  opts: { body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${TOKEN}`,
      Connection: "close",
      ...opts.headers,
    },
    body: opts.body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const steerDir = () => join(repo.dir, "steer");
// The folder's own .gitignore (it ignores itself) is not a message.
const files = () =>
  existsSync(steerDir())
    ? readdirSync(steerDir())
        .filter((f) => f !== ".gitignore")
        .sort()
    : [];

beforeAll(async () => {
  repo = makeRepo();
  server = await startServer({ root: repo.root, host: "127.0.0.1", port: 0, token: TOKEN, webRoot: null });
});

afterAll(async () => {
  await server?.close();
  repo?.cleanup();
});

describe("/api/steer", () => {
  it("POST queues a message as a pending file (201) and keeps the folder out of git", async () => {
    const res = await api("POST", "/api/steer", { body: JSON.stringify({ message: "  prefer pnpm\n" }) });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ text: "prefer pnpm", state: "pending", run_id: null });
    const id = res.body.id as string;
    expect(files()).toEqual([`${id}.pending.json`]);
    expect(JSON.parse(readFileSync(join(steerDir(), `${id}.pending.json`), "utf8"))).toMatchObject({
      id,
      text: "prefer pnpm",
    });
    expect(readFileSync(join(steerDir(), ".gitignore"), "utf8").split("\n")).toContain("*");
  });

  it("GET lists every message oldest first; DELETE removes one file, then 404", async () => {
    const second = await api("POST", "/api/steer", { body: JSON.stringify({ message: "then this" }) });
    const list = await api("GET", "/api/steer");
    expect(list.status).toBe(200);
    const messages = list.body.messages as Array<{ id: string; text: string }>;
    expect(messages.map((m) => m.text)).toEqual(["prefer pnpm", "then this"]);
    expect(list.body.corrupt).toEqual([]);

    const id = second.body.id as string;
    const del = await api("DELETE", `/api/steer/${id}`);
    expect(del).toEqual({ status: 200, body: { deleted: id } });
    expect(files()).toEqual([`${messages[0]!.id}.pending.json`]);
    const again = await api("DELETE", `/api/steer/${id}`);
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ code: "NOT_FOUND", detail: `No steering message ${id}` });
  });

  it("an id that is not one → 400 naming it, nothing removed", async () => {
    const before = files();
    for (const bad of ["..%2Fconfig.yml", "nope", "1764886291123-1-ABCDEF"]) {
      const res = await api("DELETE", `/api/steer/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.code).toBe("INVALID_ARGUMENT");
      expect(res.body.detail).toMatch(/^not a steering message id: /);
    }
    expect(files()).toEqual(before);
    expect(existsSync(join(repo.dir, "config.yml"))).toBe(true);
  });

  it("empty, oversize, NUL and wrong-shape messages → 400 with the reason, nothing queued", async () => {
    const before = files();
    const cases: Array<[string, RegExp]> = [
      [JSON.stringify({ message: " \n " }), /^the steering message is empty$/],
      [
        JSON.stringify({ message: "é".repeat(STEER_MAX_BYTES / 2 + 1) }),
        new RegExp(
          `^the steering message is ${STEER_MAX_BYTES + 2} bytes; the limit is ${STEER_MAX_BYTES} bytes`,
        ),
      ],
      [JSON.stringify({ message: "a\u0000b" }), /NUL byte/],
      [JSON.stringify({ message: 3 }), /^Invalid request body: message: /],
      [JSON.stringify({ text: "hi" }), /^Invalid request body: /],
      ["", /^Request body is empty/],
    ];
    for (const [body, detail] of cases) {
      const res = await api("POST", "/api/steer", { body });
      expect(res.status, body.slice(0, 40)).toBe(400);
      expect(res.body.code).toBe("INVALID_ARGUMENT");
      expect(res.body.detail).toMatch(detail);
    }
    expect(files()).toEqual(before);
  });

  it("a body over server.max_body_bytes → 413", async () => {
    const res = await api("POST", "/api/steer", {
      body: JSON.stringify({ message: "x".repeat(2 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("DELETE and POST without the token → 401; from another origin → 403; as a form → 415", async () => {
    const [kept] = files();
    const id = kept!.replace(/\.pending\.json$/, "");
    for (const [method, path, body] of [
      ["DELETE", `/api/steer/${id}`, undefined],
      ["POST", "/api/steer", '{"message":"x"}'],
    ] as const) {
      const none = await api(method, path, { body, headers: { Authorization: "" } });
      expect(none.status).toBe(401);
      expect(none.body.code).toBe("UNAUTHORIZED");
      const wrong = await api(method, path, { body, headers: { Authorization: "Bearer wrong" } });
      expect(wrong.status).toBe(401);
      for (const headers of [
        { Origin: "http://evil.example" },
        { "Sec-Fetch-Site": "cross-site" },
        { Origin: server.url.replace(/:(\d+)$/, (_, p: string) => `:${Number(p) + 1}`) },
      ] as Array<Record<string, string>>) {
        const res = await api(method, path, { body, headers });
        expect(res.status, JSON.stringify(headers)).toBe(403);
        expect(res.body.code).toBe("FORBIDDEN_ORIGIN");
      }
      const form = await api(method, path, { body, headers: { "Content-Type": "text/plain" } });
      expect(form.status).toBe(415);
    }
    expect(files()).toEqual([kept]);
    // The page itself (same origin) may delete.
    const own = await api("DELETE", `/api/steer/${id}`, {
      headers: { Origin: server.url, "Sec-Fetch-Site": "same-origin" },
    });
    expect(own.status).toBe(200);
    expect(files()).toEqual([]);
  });
});
