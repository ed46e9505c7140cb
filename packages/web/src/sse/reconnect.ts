/**
 * When and how soon to reconnect a dropped event stream. Pure: the client asks the policy after each
 * failure and sleeps for the answer, so backoff, the server's `retry:` hint, giving up on errors that
 * a retry cannot fix (401, 404), and resetting after a healthy connection are all unit tested.
 */

export interface ReconnectOptions {
  /** First delay, and the floor for every delay. */
  baseMs: number;
  /** Cap for the exponential growth. */
  maxMs: number;
  /** Fraction of the delay randomised (0..1) so many tabs do not reconnect in lock step. */
  jitter: number;
}

export const DEFAULT_RECONNECT: ReconnectOptions = { baseMs: 1000, maxMs: 30_000, jitter: 0.2 };

/** Why the last connection attempt ended. `status` is the HTTP status when there was a response. */
export type StreamFailure =
  | { kind: "http"; status: number }
  | { kind: "network" }
  /** The server ended an established stream (restart, proxy timeout, heartbeat missed). */
  | { kind: "closed" };

export type ReconnectDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

export class ReconnectPolicy {
  private attempt = 0;
  private serverBaseMs: number | null = null;

  constructor(
    private readonly options: ReconnectOptions = DEFAULT_RECONNECT,
    private readonly random: () => number = Math.random,
  ) {}

  /** A stream opened and delivered a response: the next failure starts from the base delay again. */
  onOpen(): void {
    this.attempt = 0;
  }

  /** The server's `retry:` field replaces the base delay (the cap still applies). */
  onServerRetry(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.serverBaseMs = ms;
  }

  /** Failures in a row since the last successful open. */
  get failures(): number {
    return this.attempt;
  }

  next(failure: StreamFailure): ReconnectDecision {
    if (failure.kind === "http") {
      const fatal = fatalReason(failure.status);
      if (fatal) return { retry: false, reason: fatal };
    }
    const base = this.serverBaseMs ?? this.options.baseMs;
    // A clean close of a healthy stream is retried at once-ish (base); repeated failures back off.
    const exp = Math.min(this.options.maxMs, base * 2 ** this.attempt);
    this.attempt++;
    const spread = exp * this.options.jitter;
    const delay = exp - spread + this.random() * spread * 2;
    return { retry: true, delayMs: Math.max(0, Math.min(this.options.maxMs, Math.round(delay))) };
  }
}

/** Statuses a retry cannot fix: the user has to act (token) or the URL is wrong. */
function fatalReason(status: number): string | null {
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not found";
  if (status === 400) return "bad request";
  return null;
}
