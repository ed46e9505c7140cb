// Command-line options of `pnpm bench`.

/** Every case, in the order they run (src/cases/NAME.mjs). */
export const CASES = [
  "throughput",
  "memory",
  "message-memory",
  "log-lookup",
  "checkpoint",
  "cli-start",
  "harness",
  "sse",
  "api",
  "hub",
  "web",
];

export const USAGE = `usage: pnpm bench [--quick] [--json] [--case NAME]... [--reps N] [--no-build] [--keep-data]

  --quick       smaller/faster run: fewer repetitions, no 1 GB log, shorter SSE/API runs, 10x RSS run at 2x,
                15 s hub idle window
  --json        print the results as JSON (the table goes to stderr)
  --case NAME   only the case NAME, or those whose name contains NAME (repeatable):
                ${CASES.join(", ")}
  --reps N      repetitions per measurement (default 5, quick 3; heavy cases use fewer)
  --no-build    do not build the workspace packages first (use their current dist/)
  --keep-data   keep the temp folder with the generated logs (its path is printed)
`;

export function parseArgs(argv) {
  const opts = {
    quick: false,
    json: false,
    cases: [],
    reps: null,
    build: true,
    keepData: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") opts.quick = true;
    else if (a === "--json") opts.json = true;
    else if (a === "--no-build") opts.build = false;
    else if (a === "--keep-data") opts.keepData = true;
    else if (a === "--help" || a === "-h") opts.help = true;
    else if (a === "--case" || a.startsWith("--case=")) {
      const v = a.includes("=") ? a.slice(7) : argv[++i];
      if (!v) throw new Error("--case needs a name");
      opts.cases.push(v);
    } else if (a === "--reps" || a.startsWith("--reps=")) {
      const v = Number(a.includes("=") ? a.slice(7) : argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error("--reps needs an integer ≥ 1");
      opts.reps = v;
    } else if (a === "--") {
      // pnpm passes a lone "--" through
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return opts;
}
