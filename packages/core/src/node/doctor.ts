import { constants as fsConstants, promises as fsp } from "node:fs";
import { delimiter, isAbsolute, join, relative, resolve } from "node:path";
import { usableFallback } from "../agents/choose.js";
import { configHoldsAuthToken } from "../config/literal-token.js";
import type { Config } from "../config/schema.js";
import { type Env, resolveTargets } from "../notify/resolve.js";
import { findUnknownPlaceholders } from "../prompt/template.js";
import { countTodo } from "../todo/parse.js";
import type { RunnerState } from "../types.js";
import { agentDefinition } from "./agent/agents.js";
import { probeCodex } from "./agent/codex-probe.js";
import type { AgentDefinition } from "./agent/definition.js";
import { runQuick } from "./agent/run-quick.js";
import { CONFIG_FILE, loadConfig } from "./config-io.js";
import { CONFIG_SCHEMA_FILE, referencesSchemaCopy, syncConfigSchema } from "./config-schema-file.js";
import { readTextIfExists } from "./fs/atomic.js";
import { isTracked } from "./git.js";
import { lockStatus } from "./lock.js";
import { CAR_DIR, carPaths, findRepoRoot, resolveRepoPath } from "./paths.js";
import { readState } from "./state-store.js";

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** Passes, but something needs the user's attention (shown as a warning; the exit code stays 0). */
  warn?: boolean;
}

export interface DoctorOptions {
  /** How long `<agent> --version` (and `exec --help`) may take (default 5 s). */
  versionTimeoutMs?: number;
  /** The environment the checks assume (notification secrets `*_env`, IS_SANDBOX); default process.env. */
  env?: Env;
  /** Whether the agent will run as root (Claude Code refuses to bypass permissions then); default: this process's uid is 0. */
  isRoot?: boolean;
}

export interface DoctorReport {
  root: string | null;
  checks: DoctorCheck[];
  ok: boolean;
}

const VERSION_TIMEOUT_MS = 5_000;

/** Every check `car doctor` prints; never throws for a problem it can describe as a failed check. */
export async function runDoctor(start: string, options: DoctorOptions = {}): Promise<DoctorReport> {
  const versionTimeoutMs = options.versionTimeoutMs ?? VERSION_TIMEOUT_MS;
  const checks: DoctorCheck[] = [];
  const add = (name: string, ok: boolean, detail: string, warn = false) =>
    checks.push({ name, ok, detail, ...(warn ? { warn } : {}) });
  const report = (root: string | null): DoctorReport => ({ root, checks, ok: checks.every((c) => c.ok) });

  let root: string;
  try {
    root = await findRepoRoot(resolve(start));
    add("git repository", true, root);
  } catch (err) {
    add("git repository", false, (err as Error).message);
    return report(null);
  }

  let config: Config;
  let configText: string;
  try {
    ({ config, text: configText } = await loadConfig(root));
    add("config", true, ".codex-autorunner/config.yml is valid");
  } catch (err) {
    add("config", false, (err as Error).message);
    return report(root);
  }
  if (configHoldsAuthToken(configText)) {
    // Same rule as auto-commit, which leaves such a file out of its commits.
    if (await isTracked(root, CONFIG_FILE)) {
      add(
        "config secrets",
        true,
        `${CONFIG_FILE} is tracked by git and holds server.auth_token: a commit or push publishes it. ` +
          "Move the token to env CAR_AUTH_TOKEN (or the server's token file), set server.auth_token to null, " +
          "and replace the token if it was ever committed",
        true,
      );
    } else {
      add("config secrets", true, `server.auth_token is set in ${CONFIG_FILE}, which git does not track`);
    }
  }
  const paths = carPaths(root, config);
  if (referencesSchemaCopy(configText)) await checkSchemaCopy(paths.dir, add);

  const docs: Array<[string, string]> = [
    ["todo", config.docs.todo],
    ["progress", config.docs.progress],
    ["opinions", config.docs.opinions],
    ...config.docs.extras.map((x): [string, string] => [x.name, x.path]),
  ];
  for (const [kind, p] of docs) {
    const text = await readTextIfExists(resolveRepoPath(root, p)).catch((e: Error) => e);
    if (text === null) add(`doc ${kind}`, false, `${p} does not exist`);
    else if (text instanceof Error) add(`doc ${kind}`, false, `${p}: ${text.message}`);
    else if (kind === "todo") {
      const c = countTodo(text);
      add("doc todo", true, `${p}: ${c.outstanding} outstanding, ${c.done} done`);
    } else add(`doc ${kind}`, true, p);
  }

  const template = await readTextIfExists(paths.template).catch(() => null);
  if (template === null) add("prompt template", true, "built-in default (no prompt.txt)");
  else {
    const unknown = findUnknownPlaceholders(template);
    const rel = relative(root, paths.template);
    add(
      "prompt template",
      unknown.length === 0,
      unknown.length === 0
        ? `${rel}: placeholders known`
        : `${rel}: unknown ${unknown.map((u) => `{{${u}}}`).join(", ")}`,
    );
  }

  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  const env = options.env ?? process.env;
  // The agents runs can go to: runner.agent, then runner.fallback_agent (when it is another).
  const fallback = usableFallback(config.runner.agent, config.runner.fallback_agent);
  for (const name of fallback === null ? [config.runner.agent] : [config.runner.agent, fallback]) {
    await checkAgent(agentDefinition(name), config, root, { versionTimeoutMs, env, isRoot }, add);
  }

  const lock = await lockStatus(paths.lock);
  if (lock.corrupt) add("lock", false, lock.corrupt);
  else if (!lock.info) add("lock", true, "free");
  else if (lock.alive) add("lock", true, `held by a live runner (PID ${lock.info.pid})`);
  else add("lock", true, `stale (PID ${lock.info.pid} is not running; the next run replaces it)`);

  let state: RunnerState | null = null;
  try {
    state = await readState(paths);
    add("state", true, `status ${state.status}, last run ${state.last_run_id ?? "none"}`);
  } catch (err) {
    add("state", false, (err as Error).message);
  }
  checkNotify(config, state, env, add);
  return report(root);
}

type AddCheck = (name: string, ok: boolean, detail: string, warn?: boolean) => void;

/**
 * One agent's program: found (else which config key to set and which npm package installs it), its
 * version, and what in this environment would stop it. Codex's checks keep the names they had before
 * there was a choice of agent ("agent binary", …: scripts read them); any other agent's are named
 * after it ("claude binary", "claude version", "claude permissions").
 */
async function checkAgent(
  agent: AgentDefinition,
  config: Config,
  root: string,
  o: { versionTimeoutMs: number; env: Env; isRoot: boolean },
  add: AddCheck,
): Promise<void> {
  const label = agent.name === "codex" ? "agent" : agent.name;
  const { binary, args } = agent.command(config, "run");
  const found = await whichBinary(binary, root);
  if (!found) {
    add(
      `${label} binary`,
      false,
      `"${binary}" not found on PATH or not executable (set ${agent.section}.binary in config.yml, ` +
        `or install it: npm install -g ${agent.npmPackage})`,
    );
  } else {
    add(`${label} binary`, true, found);
    if (agent.name === "codex" && args.includes("--json")) {
      const probe = await probeCodex(found, { timeoutMs: o.versionTimeoutMs });
      add(
        `${label} version`,
        probe.error === null,
        probe.error ?? `${binary} ${probe.version ?? "(version unknown)"}`,
      );
      if (probe.error === null) {
        add(
          `${label} --json support`,
          probe.jsonSupported,
          probe.jsonSupported
            ? "`exec --json` available"
            : "`exec --help` does not mention --json: upgrade codex or drop --json from codex.args",
        );
      }
    } else {
      const v = await versionOf(found, o.versionTimeoutMs);
      add(`${label} version`, v.ok, v.detail);
    }
  }
  if (agent.environmentProblems) {
    const problems = agent.environmentProblems(args, o.env, o.isRoot);
    add(
      `${label} permissions`,
      problems.length === 0,
      problems.length === 0
        ? `nothing here stops ${agent.section}.args (running as ${o.isRoot ? "root" : "non-root"})`
        : problems.join("; "),
    );
  }
}

/**
 * notify.targets (its rules are the config parser's, so a broken target already failed "config"): each
 * target's `*_env` secrets in this environment (the error names the variable, never a value; no URL is
 * shown: it can be a credential), and the last delivery that failed.
 */
function checkNotify(config: Config, state: RunnerState | null, env: Env, add: AddCheck): void {
  for (const r of resolveTargets(config.notify.targets, env)) {
    if (r.ok)
      add(
        `notify ${r.target.label}`,
        true,
        `${r.target.type}: ready (\`car notify test\` sends a test event)`,
      );
    else add(`notify ${r.label}`, false, r.error.message);
  }
  const failure = state?.notify_error;
  if (failure) {
    add(
      "notify delivery",
      true,
      `the last failed: ${failure.target} (${failure.event}): ${failure.error} at ${failure.at}`,
      true,
    );
  }
}

/** config.yml points editors at the schema copy: keep it that of this version of car. */
async function checkSchemaCopy(dir: string, add: AddCheck): Promise<void> {
  const rel = `${CAR_DIR}/${CONFIG_SCHEMA_FILE}`;
  try {
    const r = await syncConfigSchema(dir);
    const detail = {
      current: `${rel} is current`,
      created: `wrote ${rel} (editors read it to complete and check config.yml)`,
      updated: `updated ${rel} to this version of car`,
    }[r];
    add("config schema", true, detail);
  } catch (err) {
    add("config schema", true, `could not write ${rel}: ${(err as Error).message}`, true);
  }
}

/** PATH lookup like a shell's; a name with a slash is taken relative to the repo root. */
async function whichBinary(binary: string, root: string): Promise<string | null> {
  const candidates = binary.includes("/")
    ? [isAbsolute(binary) ? binary : resolve(root, binary)]
    : (process.env.PATH ?? "")
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, binary));
  for (const c of candidates) {
    try {
      const st = await fsp.stat(c);
      if (!st.isFile()) continue;
      await fsp.access(c, fsConstants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return null;
}

/** First line of `<binary> --version` (stdout or stderr); a hang is cut off after `timeoutMs`. */
async function versionOf(binary: string, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const r = await runQuick(binary, ["--version"], timeoutMs);
  if (r.timedOut) return { ok: false, detail: `${binary} --version ${r.failure}` };
  const first = r.out.trim().split("\n")[0]?.trim() ?? "";
  if (r.failure !== null && !first) return { ok: false, detail: `${binary} --version failed: ${r.failure}` };
  return { ok: true, detail: first || "(no output)" };
}
