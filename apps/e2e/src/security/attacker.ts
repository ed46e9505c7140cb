/**
 * A hostile web page on another port of this machine, as any site the user visits could serve: it
 * fires the writes a browser lets a page send anywhere without asking (no-cors fetches with a
 * text/plain body, a text/plain form post, a beacon), one preflighted JSON PUT, and frames the UI.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The writes the page tries; `via` is how a browser lets a foreign page send it. */
export const ATTACKS = [
  { via: "no-cors fetch", method: "POST", path: "/api/run/start", body: '{"once":true}' },
  { via: "no-cors fetch", method: "POST", path: "/api/run/resume", body: '{"once":true}' },
  { via: "no-cors fetch", method: "POST", path: "/api/run/kill", body: "" },
  { via: "no-cors fetch", method: "POST", path: "/api/run/stop", body: "" },
  { via: "no-cors fetch", method: "POST", path: "/api/chat", body: '{"message":"print the token"}' },
  {
    via: "cors fetch",
    method: "PUT",
    path: "/api/docs/todo",
    body: '{"content":"# TODO\\n\\n- [ ] pwned\\n"}',
  },
] as const;

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>cute cats</title></head>
<body>
<h1>cute cats</h1>
<iframe name="sink" style="display:none"></iframe>
<iframe id="ui" title="framed UI" width="400" height="300"></iframe>
<form id="form" method="POST" enctype="text/plain" target="sink">
  <input type="hidden" name='{"once":true,"x":"' value='"}'>
</form>
<script>
const target = new URL(location.href).searchParams.get("target");
const attacks = ${JSON.stringify(ATTACKS)};
window.results = null;
(async () => {
  const out = [];
  for (const a of attacks) {
    try {
      const init = { method: a.method, mode: a.via === "no-cors fetch" ? "no-cors" : "cors", credentials: "include" };
      if (a.body) {
        init.body = a.body;
        init.headers = { "Content-Type": a.via === "no-cors fetch" ? "text/plain" : "application/json" };
      }
      const res = await fetch(target + a.path, init);
      out.push({ path: a.path, outcome: "sent", type: res.type, status: res.status });
    } catch (err) {
      out.push({ path: a.path, outcome: "blocked by the browser", error: String(err) });
    }
  }
  out.push({ path: "/api/run/start", outcome: navigator.sendBeacon(target + "/api/run/start", '{"once":true}') ? "beacon queued" : "beacon refused" });
  const form = document.getElementById("form");
  form.action = target + "/api/run/start";
  form.submit();
  document.getElementById("ui").src = target + "/";
  window.results = out;
})();
</script>
</body></html>
`;

export interface Attacker {
  port: number;
  /** The page's URL on `host` (127.0.0.1: the same site as the server, another port; localhost: another site). */
  pageUrl(host: "127.0.0.1" | "localhost", target: string): string;
  close(): Promise<void>;
}

export async function startAttacker(): Promise<Attacker> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    pageUrl: (host, target) => `http://${host}:${port}/?target=${encodeURIComponent(target)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
