// PLACEHOLDER until the server work lands. Owner: the server work (issue 3). Replace this whole file.
import type { CommandModule } from "yargs";

export const serveCommand: CommandModule = {
  command: "serve",
  describe: "Start the HTTP API and web UI",
  handler: () => {
    throw new Error("serve is not implemented yet");
  },
};
