import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors.js";
import type { DocResponse } from "../api/types.js";
import { appendTodoRemote, type DocsApi } from "./remote-todo.js";

/** In-memory docs API with etags, like the server's If-Match semantics. */
type Store = { content: string; version: number };

function memoryDocs(
  initial: string,
  beforeWrite?: (n: number, docs: Store) => void,
): DocsApi & {
  content: string;
  writes: number;
} {
  const state = { content: initial, writes: 0, version: 0 };
  const doc = (): DocResponse => ({
    kind: "todo",
    content: state.content,
    etag: `"v${state.version}"`,
    mtime: "",
  });
  return {
    get content() {
      return state.content;
    },
    get writes() {
      return state.writes;
    },
    async doc() {
      return doc();
    },
    async saveDoc(_kind, content, etag) {
      state.writes++;
      beforeWrite?.(state.writes, state);
      if (etag !== `"v${state.version}"`) throw new ApiError(409, "DOC_CONFLICT", "changed");
      state.content = content;
      state.version++;
      return doc();
    },
  };
}

describe("appendTodoRemote", () => {
  it("appends with the etag it read", async () => {
    const docs = memoryDocs("- [ ] a\n");
    await appendTodoRemote(docs, "b");
    expect(docs.content).toBe("- [ ] a\n- [ ] b\n");
  });

  it("re-reads and re-applies on 409, keeping the agent's concurrent change", async () => {
    const docs = memoryDocs("- [ ] a\n", (n, d) => {
      // The agent ticks "a" between our read and our first write.
      if (n === 1) {
        d.content = "- [x] a\n";
        d.version++;
      }
    });
    await appendTodoRemote(docs, "b");
    expect(docs.content).toBe("- [x] a\n- [ ] b\n");
    expect(docs.writes).toBe(2);
  });

  it("gives up with a clear error when the doc keeps changing", async () => {
    const docs = memoryDocs("", (_n, d) => {
      d.version++;
    });
    await expect(appendTodoRemote(docs, "b", 2)).rejects.toThrow(/kept changing/);
    expect(docs.content).toBe("");
  });
});
