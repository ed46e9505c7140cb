/**
 * A local HTTP receiver for notification tests and suites (127.0.0.1 only): records every request
 * with its exact body and arrival time, and answers as the test says. Also a refused port.
 */
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The body as UTF-8 text (signatures are computed over these bytes). */
  body: string;
  at: number;
}

/**
 * How to answer a request: a status, "hang" (accept it and never answer), or a function that writes
 * the response itself (`n`: the request's 0-based index).
 */
export type Answer = number | "hang" | ((req: ReceivedRequest, n: number, res: ServerResponse) => void);

export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: ReceivedRequest[];
  /** Resolves once `count` requests have arrived. */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

/** `answer`: one answer for every request, or one per request in order (the last one repeats). */
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
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      requests.push(r);
      for (const w of waiters.filter((w) => requests.length >= w.count)) w.resolve();
      const a = Array.isArray(answer) ? (answer[Math.min(n, answer.length - 1)] ?? 200) : answer;
      if (a === "hang") return;
      if (typeof a === "function") return a(r, n, res);
      res.writeHead(a, { "content-type": "application/json" });
      res.end(a < 300 ? '{"ok":true}' : '{"ok":false}');
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
export async function refusedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}
