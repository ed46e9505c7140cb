import { useEffect, useState } from "preact/hooks";

/**
 * A page-wide snapshot that components subscribe to (the live log page, the hub page): `publish`
 * merges a patch and tells every subscriber; `use` is the hook that re-renders on each publish.
 */
export interface Store<T extends object> {
  get(): T;
  publish(patch: Partial<T>): void;
  use(): T;
}

export function createStore<T extends object>(initial: T): Store<T> {
  let snapshot = initial;
  const listeners = new Set<(value: T) => void>();
  return {
    get: () => snapshot,
    publish(patch) {
      snapshot = { ...snapshot, ...patch };
      for (const fn of listeners) fn(snapshot);
    },
    use() {
      const [value, setValue] = useState(snapshot);
      useEffect(() => {
        listeners.add(setValue);
        setValue(snapshot);
        return () => {
          listeners.delete(setValue);
        };
      }, []);
      return value;
    },
  };
}
