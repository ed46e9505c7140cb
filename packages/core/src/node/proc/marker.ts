import { randomBytes } from "node:crypto";

/** A fresh run marker (see proc/marker.ts): random, so a stale one never matches a new run. */
export function newRunMarker(): string {
  return `car-${randomBytes(9).toString("hex")}`;
}
