// Child process: our HTTP server (startServer from @codex-autorunner/server) on 127.0.0.1, a free
// port, for the repo in argv[2]. Prints {"url": ...} on stdout; exits when stdin closes or on SIGTERM.
import { startServer } from "@codex-autorunner/server";

const server = await startServer({ root: process.argv[2], host: "127.0.0.1", port: 0, token: null });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.stdin.on("end", stop).resume();
process.on("SIGTERM", stop);
