import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Config, DEFAULT_CONFIG } from "../config/schema.js";
import { isCarError } from "../errors.js";
import { docKinds, etagOf, readDoc, writeDoc } from "./docs.js";

let root: string;
let config: Config;
beforeEach(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), "car-docs-"));
  await fsp.mkdir(join(root, ".codex-autorunner"));
  await fsp.mkdir(join(root, "notes"));
  config = structuredClone(DEFAULT_CONFIG);
  config.docs.extras = [{ name: "SPEC", path: "notes/spec.md", include_in_prompt: true }];
  await fsp.writeFile(join(root, ".codex-autorunner", "TODO.md"), "- [ ] one\n");
  await fsp.writeFile(join(root, "notes", "spec.md"), "spec\n");
  await fsp.writeFile(join(root, "secret.txt"), "secret\n");
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe("docs", () => {
  it("lists the fixed kinds and the configured extras", () => {
    expect(docKinds(config)).toEqual(["todo", "progress", "opinions", "SPEC"]);
  });

  it("reads a doc with a quoted sha256 etag and an ISO mtime", async () => {
    const doc = await readDoc(root, config, "todo");
    expect(doc.kind).toBe("todo");
    expect(doc.content).toBe("- [ ] one\n");
    expect(doc.etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(doc.etag).toBe(etagOf("- [ ] one\n"));
    expect(new Date(doc.mtime).toISOString()).toBe(doc.mtime);
    expect((await readDoc(root, config, "spec")).content).toBe("spec\n");
  });

  it("reports a missing doc by path and an unknown kind without touching other files", async () => {
    const missing = await readDoc(root, config, "progress").catch((e: unknown) => e);
    expect(isCarError(missing, "DOC_MISSING")).toBe(true);
    expect((missing as Error).message).toContain(".codex-autorunner/PROGRESS.md");
    for (const kind of ["../secret.txt", "..%2fsecret.txt", "secret", "config", ""]) {
      const err = await readDoc(root, config, kind).catch((e: unknown) => e);
      expect(isCarError(err, "UNKNOWN_DOC")).toBe(true);
      await expect(writeDoc(root, config, kind, "x")).rejects.toMatchObject({ code: "UNKNOWN_DOC" });
    }
    expect(await fsp.readFile(join(root, "secret.txt"), "utf8")).toBe("secret\n");
  });

  it("writes atomically and honours If-Match", async () => {
    const before = await readDoc(root, config, "todo");
    const written = await writeDoc(root, config, "todo", "- [x] one\n", { ifMatch: before.etag });
    expect(written.etag).toBe(etagOf("- [x] one\n"));
    expect(await fsp.readFile(join(root, ".codex-autorunner", "TODO.md"), "utf8")).toBe("- [x] one\n");

    const stale = await writeDoc(root, config, "todo", "lost", { ifMatch: before.etag }).catch(
      (e: unknown) => e,
    );
    expect(isCarError(stale, "DOC_CONFLICT")).toBe(true);
    expect((stale as { details: { etag: string } }).details.etag).toBe(written.etag);
    expect(await fsp.readFile(join(root, ".codex-autorunner", "TODO.md"), "utf8")).toBe("- [x] one\n");

    // Bare etag is accepted too; no If-Match writes unconditionally.
    await writeDoc(root, config, "todo", "v3", { ifMatch: written.etag.slice(1, -1) });
    await writeDoc(root, config, "todo", "v4");
    expect((await readDoc(root, config, "todo")).content).toBe("v4");
    expect(await fsp.readdir(join(root, ".codex-autorunner"))).toEqual(["TODO.md"]);
  });

  it("If-Match * requires an existing doc; a doc in a missing folder is DOC_MISSING", async () => {
    const missing = await writeDoc(root, config, "progress", "x", { ifMatch: "*" }).catch((e: unknown) => e);
    expect(isCarError(missing, "DOC_CONFLICT")).toBe(true);
    await writeDoc(root, config, "progress", "created\n");
    expect((await writeDoc(root, config, "progress", "again\n", { ifMatch: "*" })).content).toBe("again\n");
    config.docs.extras.push({ name: "GONE", path: "no/such/dir/x.md", include_in_prompt: false });
    await expect(writeDoc(root, config, "GONE", "x")).rejects.toMatchObject({ code: "DOC_MISSING" });
  });

  it("lets exactly one of many concurrent If-Match writers win", async () => {
    const { etag } = await readDoc(root, config, "todo");
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        writeDoc(root, config, "todo", `writer ${i}\n`, { ifMatch: etag }),
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    const lost = results.filter((r) => r.status === "rejected");
    expect(lost.every((r) => isCarError((r as PromiseRejectedResult).reason, "DOC_CONFLICT"))).toBe(true);
    const content = await fsp.readFile(join(root, ".codex-autorunner", "TODO.md"), "utf8");
    expect(content).toBe((won[0] as PromiseFulfilledResult<{ content: string }>).value.content);
  });

  it("writes a symlinked doc at the link's target: the link stays a link", async () => {
    // The TODO lives elsewhere (a dotfiles repo, another worktree) and is linked in, relatively.
    const shared = join(root, "shared");
    await fsp.mkdir(shared);
    const target = join(shared, "TODO.md");
    await fsp.writeFile(target, "- [ ] shared\n", { mode: 0o600 });
    const link = join(root, ".codex-autorunner", "TODO.md");
    await fsp.rm(link);
    await fsp.symlink("../shared/TODO.md", link);

    const read = await readDoc(root, config, "todo");
    expect(read.content).toBe("- [ ] shared\n");
    const written = await writeDoc(root, config, "todo", "- [x] shared\n", { ifMatch: read.etag });
    expect(written.etag).toBe(etagOf("- [x] shared\n"));
    expect((await fsp.lstat(link)).isSymbolicLink()).toBe(true);
    expect(await fsp.readlink(link)).toBe("../shared/TODO.md");
    expect(await fsp.readFile(target, "utf8")).toBe("- [x] shared\n");
    expect((await fsp.stat(target)).mode & 0o777).toBe(0o600);
    // The temp file was made beside the target and renamed away: nothing left in either folder.
    expect((await fsp.readdir(shared)).sort()).toEqual(["TODO.md"]);
    expect(await fsp.readdir(join(root, ".codex-autorunner"))).toEqual(["TODO.md"]);
    // If-Match is checked against the target's content.
    await expect(writeDoc(root, config, "todo", "lost\n", { ifMatch: read.etag })).rejects.toMatchObject({
      code: "DOC_CONFLICT",
    });
    expect(await fsp.readFile(target, "utf8")).toBe("- [x] shared\n");
  });

  it("creates the missing target of a dangling link (through a chain) instead of replacing the link", async () => {
    const link = join(root, "notes", "spec.md");
    await fsp.rm(link);
    await fsp.symlink("hop.md", link);
    await fsp.symlink(join(root, "notes", "real-spec.md"), join(root, "notes", "hop.md"));
    await writeDoc(root, config, "SPEC", "new spec\n");
    expect((await fsp.lstat(link)).isSymbolicLink()).toBe(true);
    expect((await fsp.lstat(join(root, "notes", "hop.md"))).isSymbolicLink()).toBe(true);
    expect(await fsp.readFile(join(root, "notes", "real-spec.md"), "utf8")).toBe("new spec\n");
    expect((await readDoc(root, config, "SPEC")).content).toBe("new spec\n");
  });

  it("names a link loop instead of writing anything", async () => {
    const link = join(root, "notes", "spec.md");
    await fsp.rm(link);
    await fsp.symlink("spec.md", link);
    const err = await writeDoc(root, config, "SPEC", "x").catch((e: unknown) => e);
    expect(isCarError(err, "IO_ERROR")).toBe(true);
    expect((err as Error).message).toContain("notes/spec.md");
    expect((err as Error).message).toContain("too many levels of symbolic links");
    expect(await fsp.readlink(link)).toBe("spec.md");
  });
});
