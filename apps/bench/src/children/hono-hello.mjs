// Child process: the API case's baseline, a bare Hono hello-world on @hono/node-server (127.0.0.1,
// free port). Prints {"url": ...} on stdout; exits when stdin closes or on SIGTERM.
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono().get("/", (c) => c.text("Hello Hono!"));
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${info.port}` })}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.stdin.on("end", stop).resume();
process.on("SIGTERM", stop);
