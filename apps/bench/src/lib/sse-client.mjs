import http from "node:http";

const SEQ_T = /seq=(\d+) t=(\d+\.\d+)/g;

/**
 * A real SSE subscriber on `url` (own socket), reconnecting with Last-Event-ID like EventSource when
 * the server ends the stream (e.g. drops a client that cannot keep up). Each `event: log` carrying
 * `seq=<n> t=<ms>` records latency = arrival time of the chunk holding it − t, once per seq.
 * `ready` resolves on the first complete frame (the server's `event: state`); close() ends it.
 */
export function subscribe(url, expected) {
  const latency = new Float64Array(expected).fill(-1);
  const stats = { received: 0, duplicates: 0, reconnects: 0, latency };
  let lastId = null;
  let closed = false;
  let req = null;
  let onReady;
  let onFail;
  const ready = new Promise((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });

  const connect = () => {
    let carry = "";
    const headers = { accept: "text/event-stream" };
    if (lastId !== null) headers["last-event-id"] = lastId;
    req = http.get(url, { headers, agent: false }, (res) => {
      if (res.statusCode !== 200) return onFail(new Error(`${url}: HTTP ${res.statusCode}`));
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        const at = performance.timeOrigin + performance.now();
        const text = carry + chunk;
        const end = text.lastIndexOf("\n\n");
        if (end < 0) {
          carry = text;
          return;
        }
        carry = text.slice(end + 2);
        onReady();
        const frames = text.slice(0, end);
        const idAt = frames.lastIndexOf("\nid: ");
        const idStart = idAt >= 0 ? idAt + 5 : frames.startsWith("id: ") ? 4 : -1;
        if (idStart >= 0) {
          const nl = frames.indexOf("\n", idStart);
          lastId = frames.slice(idStart, nl < 0 ? undefined : nl).trim();
        }
        SEQ_T.lastIndex = 0;
        for (let m = SEQ_T.exec(frames); m; m = SEQ_T.exec(frames)) {
          const seq = Number(m[1]);
          if (seq >= expected) continue;
          if (latency[seq] >= 0) stats.duplicates++;
          else {
            latency[seq] = at - Number(m[2]);
            stats.received++;
          }
        }
      });
      res.on("error", () => {});
      res.on("close", () => {
        if (closed) return;
        stats.reconnects++;
        setTimeout(connect, 10);
      });
    });
    req.on("error", (e) => {
      if (!closed && stats.reconnects === 0 && lastId === null) onFail(e);
    });
  };
  connect();
  return {
    ready,
    stats,
    close: () => {
      closed = true;
      req?.destroy();
    },
  };
}
