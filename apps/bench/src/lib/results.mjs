import { summarize } from "./stats.mjs";

/**
 * One result row: a measured quantity (median/min/max of its samples), optionally a ratio to a
 * baseline row measured in the same run, and a goal checked on the median value or on the ratio.
 *
 * goal: { on: "value" | "ratio", max?: number, min?: number, text: "≤ 3×", stat?: "median" | "max" }
 * (`stat: "max"` checks the worst sample instead of the median, e.g. lines lost must be 0 in every run.)
 */
export function row({ caseName, name, unit, samples, baseline = null, goal = null, note = "", extra = {} }) {
  const s = summarize(samples);
  const ratio = baseline ? s.median / baseline.median : null;
  let status = "";
  if (goal) {
    const v = goal.on === "ratio" ? ratio : goal.stat === "max" ? s.max : s.median;
    const ok =
      v !== null &&
      Number.isFinite(v) &&
      (goal.max === undefined || v <= goal.max) &&
      (goal.min === undefined || v >= goal.min);
    status = ok ? "ok" : "MISS";
  }
  return {
    case: caseName,
    name,
    unit,
    ...s,
    samples,
    baseline: baseline ? baseline.name : null,
    ratio,
    goal: goal ? goal.text : null,
    status,
    note,
    ...extra,
  };
}

/** Repeat `fn` (returns one sample) `reps` times, stopping early once `budgetMs` is spent (≥ `minReps`). */
export async function repeat(fn, { reps, budgetMs = Number.POSITIVE_INFINITY, minReps = 1 }) {
  const samples = [];
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    samples.push(await fn(i));
    if (samples.length >= minReps && performance.now() - t0 > budgetMs) break;
  }
  return samples;
}
