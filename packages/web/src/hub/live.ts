/**
 * The hub page's one live connection: `/hub/stream` (a `repos` snapshot first, then `repo` and
 * `removed`), folded into a HubModel that the cards subscribe to. No polling: the stream is the
 * only source, and it replays what a reconnect missed.
 */
import { hubRepoPath } from "@codex-autorunner/core";
import { createApi } from "../api/client.js";
import { api } from "../api/instance.js";
import { authHeaders, getToken, onTokenChange, tokenAccepted } from "../api/token.js";
import { type EventStreamHandle, openEventStream, type StreamStatus } from "../sse/client.js";
import { createStore } from "../ui/store.js";
import { applyHubEvent, EMPTY_HUB, type HubModel } from "./model.js";

export interface HubSnapshot {
  conn: StreamStatus;
  connDetail: string;
  model: HubModel;
}

const store = createStore<HubSnapshot>({ conn: "connecting", connDetail: "", model: EMPTY_HUB });
const publish = store.publish;
let stream: EventStreamHandle | null = null;

export const useHub = store.use;

export function startHubLive(): void {
  if (stream) return;
  // The stream is the page's only request, so it is what confirms a token taken from `?token=`.
  let sent = "";
  stream = openEventStream({
    url: api.url("hubStream", {}),
    headers: () => {
      sent = getToken();
      return authHeaders(sent);
    },
    onStatus: (conn, connDetail) => {
      if (conn === "open" && sent) tokenAccepted(sent);
      publish({ conn, connDetail });
    },
    onEvent: (ev) => {
      if (ev.event === "error") {
        // The server hit an error on this stream and closes it; the client reconnects.
        let detail = "stream error";
        try {
          detail = (JSON.parse(ev.data) as { detail?: string }).detail ?? detail;
        } catch {}
        publish({ connDetail: detail });
        return;
      }
      const model = applyHubEvent(store.get().model, ev.event, ev.data);
      if (model !== store.get().model) publish({ model });
    },
  });
  onTokenChange(() => stream?.reconnectNow());
}

/** A repo's own API under the hub (`repos/<id>/api/...`, relative to the hub page like every call). */
export function repoApi(id: string) {
  const baseUrl = new URL(hubRepoPath(id, "/").slice(1), document.baseURI).href;
  return createApi({ baseUrl, getToken, onTokenAccepted: tokenAccepted });
}

/** Where a repo's dashboard lives under the hub. */
export function repoHref(id: string): string {
  return hubRepoPath(id, "/").slice(1);
}
