import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderConfigJsonSchema } from "../config/json-schema.js";
import { isCarError } from "../errors.js";
import { CONFIG_SCHEMA_FILE, syncConfigSchema } from "./config-schema-file.js";

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), "car-schema-copy-"));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe("syncConfigSchema", () => {
  it("creates, keeps and updates the copy", async () => {
    const file = join(dir, CONFIG_SCHEMA_FILE);
    expect(await syncConfigSchema(dir)).toBe("created");
    expect(await syncConfigSchema(dir)).toBe("current");
    await fsp.writeFile(file, "{}");
    expect(await syncConfigSchema(dir)).toBe("updated");
    expect(await fsp.readFile(file, "utf8")).toBe(renderConfigJsonSchema());
    expect(await fsp.readdir(dir)).toEqual([CONFIG_SCHEMA_FILE]);
  });

  it("replaces a symlink with the file instead of writing through it", async () => {
    const outside = join(dir, "outside.txt");
    await fsp.writeFile(outside, "keep me\n");
    const car = join(dir, "car");
    await fsp.mkdir(car);
    await fsp.symlink(outside, join(car, CONFIG_SCHEMA_FILE));
    expect(await syncConfigSchema(car)).toBe("updated");
    expect(await fsp.readFile(outside, "utf8")).toBe("keep me\n");
    const st = await fsp.lstat(join(car, CONFIG_SCHEMA_FILE));
    expect(st.isFile()).toBe(true);
  });

  it("names the file when something is in the way", async () => {
    await fsp.mkdir(join(dir, CONFIG_SCHEMA_FILE));
    const err = await syncConfigSchema(dir).catch((e: unknown) => e);
    expect(isCarError(err, "IO_ERROR")).toBe(true);
    expect((err as Error).message).toContain(join(dir, CONFIG_SCHEMA_FILE));
  });
});
