// A local HTTP receiver for notification tests (127.0.0.1 only): records every request with its
// exact body bytes and answers as the test says. Also a port that refuses connections.
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** How to answer the nth request (0-based): a status, or "hang" (never answer). */
export type Answer = number | "hang" | ((req: ReceivedRequest, n: number, res: ServerResponse) => void);

export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: ReceivedRequest[];
  /** Resolves once `count` requests have arrived. */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(answer: Answer | Answer[] = 200): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const n = requests.length;
      const r: ReceivedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(r);
      for (const w of waiters.filter((w) => requests.length >= w.count)) w.resolve();
      const a = Array.isArray(answer) ? (answer[Math.min(n, answer.length - 1)] ?? 200) : answer;
      if (a === "hang") return;
      if (typeof a === "function") return a(r, n, res);
      res.writeHead(a, { "Content-Type": "application/json" });
      res.end(a < 300 ? '{"ok":true}' : `{"ok":false,"error":"answer ${a}"}`);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    received: (count) =>
      requests.length >= count
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ count, resolve })),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** A port on 127.0.0.1 nothing listens on (bound, then released): connections are refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}
