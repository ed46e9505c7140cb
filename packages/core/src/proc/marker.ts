/**
 * The run marker: a random token put in the agent's environment. Every process the agent starts
 * inherits it, even one in a new session or process group (Codex runs each tool call in its own
 * session), so `/proc/<pid>/environ` finds all of a run's processes. A run started inside another
 * run (car under car) appends its token, so the outer run's marker still reaches the inner run's
 * processes.
 */

export const RUN_MARKER_ENV = "CAR_RUN_MARKER";
const SEP = ",";

/** The environment value for a new run: the inherited markers (if any) plus this run's. */
export function chainMarker(inherited: string | undefined, marker: string): string {
  return inherited ? `${inherited}${SEP}${marker}` : marker;
}

/** Whether a raw `/proc/<pid>/environ` (NUL-separated NAME=value entries) carries `marker`. */
export function environHasMarker(environ: string, marker: string): boolean {
  if (marker === "") return false;
  const key = `${RUN_MARKER_ENV}=`;
  let at = environ.startsWith(key) ? 0 : environ.indexOf(`\0${key}`);
  if (at < 0) return false;
  if (at > 0) at += 1;
  const end = environ.indexOf("\0", at);
  const value = environ.slice(at + key.length, end < 0 ? environ.length : end);
  return value.split(SEP).includes(marker);
}
