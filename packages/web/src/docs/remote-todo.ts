/**
 * Appending an item to the TODO through the docs API with If-Match. Appending is safe to replay, so
 * when the agent changed the file between our read and our write (409) we read again and re-apply
 * the append to the new text instead of bothering the user — nothing they or the agent wrote is lost.
 */
import { ApiError } from "../api/errors.js";
import type { DocResponse } from "../api/types.js";
import { addTodo } from "./todo-edit.js";

export interface DocsApi {
  doc(kind: string): Promise<DocResponse>;
  saveDoc(kind: string, content: string, etag: string | null): Promise<DocResponse>;
}

export async function appendTodoRemote(api: DocsApi, text: string, attempts = 3): Promise<DocResponse> {
  let lastConflict: ApiError | null = null;
  for (let i = 0; i < attempts; i++) {
    const current = await api.doc("todo");
    const next = addTodo(current.content, text);
    try {
      return await api.saveDoc("todo", next, current.etag);
    } catch (err) {
      if (err instanceof ApiError && err.conflict) {
        lastConflict = err;
        continue;
      }
      throw err;
    }
  }
  throw new ApiError(
    409,
    lastConflict?.code ?? "DOC_CONFLICT",
    `The TODO kept changing while adding the item (${attempts} tries); try again.`,
  );
}
