// The rules of `notify.targets` the config vocabulary cannot express: a URL target needs exactly one of
// `url` and `url_env`; `events` names known events. Run after the config parser (which checked types,
// patterns and the telegram keys it requires); the engine and `car doctor` report the problems.
import { formatKeyPath } from "../config/spec-read.js";
import { NOTIFY_EVENTS, type NotifyTargetConfig } from "./settings.js";

export interface NotifyConfigProblem {
  /** `notify.targets[2].url` */
  key: string;
  expected: string;
  /** What was there, when showing it is safe (never for URL keys). */
  found?: string;
}

const EVENTS_EXPECTED = `one of ${NOTIFY_EVENTS.join(", ")}`;

export function checkTargets(targets: readonly NotifyTargetConfig[]): NotifyConfigProblem[] {
  const problems: NotifyConfigProblem[] = [];
  targets.forEach((target, i) => {
    const key = (...rest: Array<string | number>) => formatKeyPath(["notify", "targets", i, ...rest]);
    if (target.type !== "telegram") {
      const hasUrl = target.url != null;
      const hasEnv = target.url_env != null;
      if (hasUrl === hasEnv) {
        problems.push({
          key: key(hasUrl ? "url_env" : "url"),
          expected: hasUrl
            ? "either url or url_env, not both"
            : `a URL in url, or the name of a variable holding it in url_env (${target.type} needs one)`,
        });
      }
    }
    const events = target.events;
    if (events == null) return;
    if (events.length === 0) {
      problems.push({
        key: key("events"),
        expected: `at least one event, or null for the default (remove the target to silence it)`,
      });
    }
    events.forEach((name, j) => {
      if (!(NOTIFY_EVENTS as readonly string[]).includes(name)) {
        problems.push({ key: key("events", j), expected: EVENTS_EXPECTED, found: JSON.stringify(name) });
      }
    });
  });
  return problems;
}

/** "notify.targets[0].url: expected …" lines, for an error message or doctor. */
export function describeProblems(problems: readonly NotifyConfigProblem[]): string {
  return problems
    .map((p) => `${p.key}: expected ${p.expected}${p.found === undefined ? "" : `, found ${p.found}`}`)
    .join("\n");
}
