import { describe, expect, it } from "vitest";
import { carError } from "../testing/car-error.js";
import { parseHubManifest, setHubLists } from "./manifest.js";

const FILE = "/hub/hub.yml";

describe("parseHubManifest", () => {
  it("an empty or missing file is all defaults", () => {
    const defaults = {
      repos: [],
      exclude: [],
      discover_depth: 2,
      max_concurrent_runs: null,
      allow_outside_root: false,
      server: { host: "127.0.0.1", port: 4180, auth_token: null },
    };
    expect(parseHubManifest("", FILE)).toEqual(defaults);
    expect(parseHubManifest("# only a comment\n", FILE)).toEqual(defaults);
    expect(parseHubManifest("server:\n", FILE).server).toEqual(defaults.server);
  });

  it("reads every key", () => {
    const m = parseHubManifest(
      "repos: [a, /abs/b]\nexclude: [c]\ndiscover_depth: 0\nmax_concurrent_runs: 2\nallow_outside_root: yes\nserver: {port: 5000}\n",
      FILE,
    );
    expect(m).toMatchObject({
      repos: ["a", "/abs/b"],
      exclude: ["c"],
      discover_depth: 0,
      max_concurrent_runs: 2,
      allow_outside_root: true,
      server: { host: "127.0.0.1", port: 5000, auth_token: null },
    });
  });

  it("an unknown key names the file, the key and the keys it could be", () => {
    const err = carError(() => parseHubManifest("repo: [a]\n", FILE));
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.details).toMatchObject({ file: FILE, key: "repo" });
    expect(err.message).toContain(`${FILE}: repo: expected a known key (repos, exclude,`);
    const nested = carError(() => parseHubManifest("server:\n  hots: x\n", FILE));
    expect(nested.details).toMatchObject({ key: "server.hots" });
    expect(nested.message).toContain("a known key (host, port, auth_token)");
  });

  it("a wrong type names the key, what was expected and what was found", () => {
    const err = carError(() => parseHubManifest("max_concurrent_runs: 0\n", FILE));
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.details).toMatchObject({ file: FILE, key: "max_concurrent_runs", found: "0" });
    expect(err.message).toBe(
      `${FILE}: max_concurrent_runs: expected a whole number ≥ 1, or null (no cap), found 0`,
    );
    const list = carError(() => parseHubManifest("repos: a\n", FILE));
    expect(list.details).toMatchObject({ key: "repos", expected: "a list of paths", found: '"a"' });
    const item = carError(() => parseHubManifest("repos: [a, 3]\n", FILE));
    expect(item.details).toMatchObject({ key: "repos[1]", expected: "a path (text)" });
    const port = carError(() => parseHubManifest("server:\n  port: 70000\n", FILE));
    expect(port.details).toMatchObject({ key: "server.port", expected: "a port number (0-65535)" });
  });

  it("malformed YAML is CONFIG_YAML with the line; a non-mapping is CONFIG_INVALID", () => {
    const yaml = carError(() => parseHubManifest("repos: [a\n", FILE));
    expect(yaml.code).toBe("CONFIG_YAML");
    expect(yaml.details).toMatchObject({ file: FILE });
    expect(yaml.details.line).toBeTypeOf("number");
    const list = carError(() => parseHubManifest("- a\n- b\n", FILE));
    expect(list.code).toBe("CONFIG_INVALID");
    expect(list.details).toMatchObject({ key: "(top level)" });
  });

  it("a rejected auth_token is described, never echoed", () => {
    const short = "short-secret";
    const err = carError(() => parseHubManifest(`server:\n  auth_token: ${short}\n`, FILE));
    expect(err.details).toMatchObject({ key: "server.auth_token", found: "12 characters" });
    expect(err.message).not.toContain(short);
    const secret = "s3cr3t-value-that-is-long-enough";
    const ok = parseHubManifest(`server:\n  auth_token: ${secret}\n`, FILE);
    expect(ok.server.auth_token).toBe(secret);
  });

  it("nothing under server but host and port is ever echoed, nor a key named like a credential", () => {
    const token = "hunter2secretXXXXXXXXX";
    const cases: Array<[string, string, string]> = [
      [`server:\n  auth_token: ["${token}"]\n`, "server.auth_token", "a list (1 item)"],
      [`server:\n  auth_tokn: "${token}"\n`, "server.auth_tokn", "22 characters"],
      [`server: "${token}"\n`, "server", "22 characters"],
      [`server:\n  tls: {key: "${token}"}\n`, "server.tls", "a mapping"],
      [`auth_token: "${token}"\n`, "auth_token", "22 characters"],
      [`password: ["${token}"]\n`, "password", "a list (1 item)"],
    ];
    for (const [text, key, found] of cases) {
      const err = carError(() => parseHubManifest(text, FILE));
      expect(err.code, text).toBe("CONFIG_INVALID");
      expect(err.details, text).toMatchObject({ key, found });
      expect(JSON.stringify({ m: err.message, d: err.details }), text).not.toContain("hunter2");
    }
    // host and port are no secrets: shown as usual.
    const port = carError(() => parseHubManifest("server:\n  port: [80]\n", FILE));
    expect(port.details).toMatchObject({ key: "server.port", found: "a list ([80])" });
  });

  it("a path with a NUL character is refused with its own error", () => {
    for (const key of ["repos", "exclude"]) {
      const err = carError(() => parseHubManifest(`${key}: ["zz\\0/../delta"]\n`, FILE));
      expect(err.code).toBe("CONFIG_INVALID");
      expect(err.details).toMatchObject({ key: `${key}[0]`, expected: "a path without NUL characters" });
    }
    expect(parseHubManifest('repos: ["zz/../delta"]\n', FILE).repos).toEqual(["zz/../delta"]);
  });

  it("an alias bomb in hub.yml is described, not expanded", () => {
    let text = 'x0: &x0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i < 9; i++)
      text += `x${i}: &x${i} [${Array(9)
        .fill(`*x${i - 1}`)
        .join(",")}]\n`;
    const err = carError(() => parseHubManifest(`${text}discover_depth: *x8\n`, FILE));
    expect(err.details).toMatchObject({ key: "discover_depth" });
    expect(err.message.length).toBeLessThan(4000);
  });
});

describe("setHubLists", () => {
  it("rewrites repos and exclude, keeping the other keys and the header comment", () => {
    const text = "# my hub\nmax_concurrent_runs: 2\nrepos: [a]\nserver:\n  port: 5000\n";
    const out = setHubLists(text, { repos: ["a", "b"], exclude: ["c"] }, FILE);
    expect(out.startsWith("# my hub\n")).toBe(true);
    expect(parseHubManifest(out, FILE)).toMatchObject({
      repos: ["a", "b"],
      exclude: ["c"],
      max_concurrent_runs: 2,
      server: { port: 5000 },
    });
  });

  it("empty lists are dropped; an empty file stays valid", () => {
    const out = setHubLists("repos: [a]\nexclude: [b]\n", { repos: [], exclude: [] }, FILE);
    expect(out).not.toContain("repos");
    expect(out).not.toContain("exclude");
    expect(parseHubManifest(out, FILE).repos).toEqual([]);
    expect(parseHubManifest(setHubLists("", { repos: ["x"], exclude: [] }, FILE), FILE).repos).toEqual(["x"]);
  });

  it("a broken file is not rewritten", () => {
    expect(carError(() => setHubLists("nope: 1\n", { repos: ["a"], exclude: [] }, FILE)).code).toBe(
      "CONFIG_INVALID",
    );
  });
});
