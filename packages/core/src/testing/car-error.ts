import { type CarError, isCarError } from "../errors.js";

/** Test helper: runs `fn`, returns the CarError it throws; fails if it throws nothing or something else. */
export function carError(fn: () => unknown): CarError {
  try {
    fn();
  } catch (err) {
    if (isCarError(err)) return err;
    throw err;
  }
  throw new Error("expected a CarError");
}
