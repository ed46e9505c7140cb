// Another user of the same machine (nobody, through setpriv) against the default `car serve`: without
// the token every API call is a 401, and the token file is not theirs to read.
import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWebRepo, type WebRepo } from "../web-helpers/repo.js";
import { type CarServer, startCarServe } from "../web-helpers/server.js";

const NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups"];

/** Runs a command as nobody; the test machine (and CI) runs as root, which setpriv needs. */
function asNobody(cmd: string, args: string[], cwd: string) {
  const r = spawnSync("setpriv", [...NOBODY, cmd, ...args], { cwd, encoding: "utf8", timeout: 30_000 });
  if (r.error) throw r.error;
  return r;
}

/** One request from nobody's own node process: prints `<status> <body>`. */
function fetchAsNobody(cwd: string, url: string, init: Record<string, unknown> = {}) {
  const script = `fetch(${JSON.stringify(url)}, ${JSON.stringify(init)}).then(async (r) => console.log(r.status + " " + (await r.text())), (e) => { console.error(e); process.exit(3); })`;
  const r = asNobody(process.execPath, ["-e", script], cwd);
  expect(r.status, r.stderr).toBe(0);
  const [status, ...body] = r.stdout.trim().split(" ");
  return { status: Number(status), body: body.join(" ") };
}

let repo: WebRepo;
let server: CarServer;

beforeAll(async () => {
  expect(process.getuid?.(), "these tests switch to nobody with setpriv, which needs root").toBe(0);
  repo = makeWebRepo();
  // The repo is as open as a normal checkout (mkdtemp made it 0700): only the file's own mode protects it.
  chmodSync(repo.root, 0o755);
  chmodSync(repo.dir, 0o755);
  server = await startCarServe(repo.root, {}, 0, "default");
});

afterAll(async () => {
  await server?.stop();
  repo?.cleanup();
});

describe("another local user", () => {
  it("the token file is 0600 and nobody cannot read it (though they can read the TODO next to it)", () => {
    const file = join(repo.dir, "server-token");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8").trim()).toBe(server.token);
    const todo = asNobody("cat", [join(repo.dir, "TODO.md")], repo.root);
    expect(todo.status, "the folder is readable by others").toBe(0);
    const stolen = asNobody("cat", [file], repo.root);
    expect(stolen.status).not.toBe(0);
    expect(stolen.stderr).toMatch(/Permission denied/);
    expect(stolen.stdout).toBe("");
  });

  it("without the token: 401 on reads and writes, and nothing changes", () => {
    const before = repo.readTodo();
    const json = { "Content-Type": "application/json" };
    expect(fetchAsNobody(repo.root, `${server.url}/api/state`).status).toBe(401);
    expect(fetchAsNobody(repo.root, `${server.url}/api/docs/todo`).status).toBe(401);
    const put = fetchAsNobody(repo.root, `${server.url}/api/docs/todo`, {
      method: "PUT",
      headers: json,
      body: JSON.stringify({ content: "# TODO\n\n- [ ] pwned\n" }),
    });
    expect(put.status).toBe(401);
    expect(JSON.parse(put.body)).toMatchObject({ code: "UNAUTHORIZED" });
    const start = fetchAsNobody(repo.root, `${server.url}/api/run/start`, {
      method: "POST",
      headers: { ...json, Authorization: "Bearer guessed-token-0123456789" },
      body: '{"once":true}',
    });
    expect(start.status).toBe(401);
    expect(fetchAsNobody(repo.root, `${server.url}/api/logs/stream?token=guess`).status).toBe(401);
    expect(repo.readTodo()).toBe(before);
    // The token, not the user, decides: with it (had it leaked) the same request is served.
    expect(
      fetchAsNobody(repo.root, `${server.url}/api/state`, {
        headers: { Authorization: `Bearer ${server.token}` },
      }).status,
    ).toBe(200);
  });
});
