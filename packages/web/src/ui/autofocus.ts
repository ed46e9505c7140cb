import type { RefObject } from "preact";
import { useEffect, useRef } from "preact/hooks";

/** Focus the element once when it appears (a callback ref would re-focus on every render). */
export function useAutoFocus<T extends HTMLElement>(): RefObject<T> {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}
