/** setTimeout's longest delay: a longer one (or a non-finite one) fires after 1 ms instead. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * setTimeout for any delay (`runner.input_wait_seconds` or a limit's reset time may be weeks away):
 * re-armed in steps no longer than setTimeout allows. Returns the function that cancels it.
 */
export function setLongTimeout(fn: () => void, ms: number): () => void {
  const end = Date.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = end - Date.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
  };
  arm();
  return () => clearTimeout(timer);
}
