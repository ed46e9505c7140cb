// Renders result rows as a fixed-width text table (also valid Markdown).

function fmt(v, unit) {
  if (v === null || v === undefined || Number.isNaN(v)) return "-";
  if (unit === "ms") return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
  if (unit === "req/s") return v.toFixed(0);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function renderTable(rows) {
  const header = [
    "case",
    "measurement",
    "unit",
    "median",
    "min",
    "max",
    "n",
    "baseline",
    "ratio",
    "goal",
    "",
  ];
  const body = rows.map((r) => [
    r.case,
    r.name,
    r.unit,
    fmt(r.median, r.unit),
    fmt(r.min, r.unit),
    fmt(r.max, r.unit),
    String(r.n),
    r.baseline ?? "",
    r.ratio === null ? "" : `${fmt(r.ratio)}×`,
    r.goal ?? "",
    r.status ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  const sep = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.case} / ${r.name}: ${r.note}`);
  return [line(header), sep, ...body.map(line), ...(notes.length ? ["", ...notes] : [])].join("\n");
}
