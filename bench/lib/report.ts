/** Goals, the markdown table and the SVG chart, all from the runs in results.json. */
import type { BenchResults, Goal, RunName, RunResult } from "./types.js";

const RSS_LIMIT_MB = 200;
const RSS_GROWTH_LIMIT = 1.2;
const PIPELINE_MIN_DOCS_PER_SEC = 50_000;

function ok(r: RunResult): boolean {
  return r.error === undefined && Number.isFinite(r.docsPerSec);
}

function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–";
}

function fmt(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits);
}

export function sizeLabel(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1_000 && n % 1_000 === 0) return `${n / 1_000}k`;
  return String(n);
}

export function evaluateGoals(runs: RunResult[]): Goal[] {
  const goals: Goal[] = [];
  const pick = (name: RunName, latencyMs?: number) => runs.filter((r) => r.name === name && (latencyMs === undefined || r.latencyMs === latencyMs));
  const ratioGoal = (name: "source" | "destination", latencyMs: number, min: number) => {
    const rs = pick(name, latencyMs);
    const goal = `${name} ≥ ${min}× its baseline at ${latencyMs} ms`;
    if (rs.length === 0) return goals.push({ goal, met: null, detail: "not measured" });
    const met = rs.every((r) => ok(r) && r.ratio !== null && r.ratio >= min);
    const detail = rs.map((r) => `${sizeLabel(r.docs)}: ${r.error !== undefined ? "failed" : `${fmt(r.ratio, 2)}×`}`).join(", ");
    return goals.push({ goal, met, detail });
  };
  ratioGoal("source", 0, 0.8);
  ratioGoal("source", 20, 2);
  ratioGoal("destination", 0, 0.8);
  ratioGoal("destination", 20, 2);

  const pipes = pick("pipeline", 0);
  goals.push({
    goal: `pipeline ≥ ${PIPELINE_MIN_DOCS_PER_SEC.toLocaleString("en-US")} documents/s at 0 ms`,
    met: pipes.length === 0 ? null : pipes.every((r) => ok(r) && r.docsPerSec >= PIPELINE_MIN_DOCS_PER_SEC),
    detail: pipes.length === 0 ? "not measured" : pipes.map((r) => `${sizeLabel(r.docs)}: ${r.error !== undefined ? "failed" : `${fmtInt(r.docsPerSec)}/s`}`).join(", "),
  });

  for (const name of ["source", "destination"] as const) {
    const rss = connectorRss(runs, name);
    goals.push({
      goal: `${name} peak RSS < ${RSS_LIMIT_MB} MB`,
      met: rss.length === 0 ? null : rss.every((x) => x.mb < RSS_LIMIT_MB),
      detail: rss.length === 0 ? "not measured" : `max ${fmt(Math.max(...rss.map((x) => x.mb)))} MB over ${rss.length} runs`,
    });
    const sizes = [...new Set(rss.map((x) => x.docs))].sort((a, b) => a - b);
    const small = sizes.includes(100_000) && sizes.includes(1_000_000) ? 100_000 : sizes[0];
    const large = sizes.includes(100_000) && sizes.includes(1_000_000) ? 1_000_000 : sizes[sizes.length - 1];
    const twoSizes = small !== undefined && large !== undefined && small !== large;
    const goal = `${name} peak RSS at ${sizeLabel(twoSizes ? large : 1_000_000)} ≤ ${RSS_GROWTH_LIMIT}× at ${sizeLabel(twoSizes ? small : 100_000)}`;
    if (!twoSizes) {
      goals.push({ goal, met: null, detail: "not measured (needs two sizes)" });
    } else {
      const at = (n: number) => Math.max(...rss.filter((x) => x.docs === n).map((x) => x.mb));
      const growth = at(large) / at(small);
      goals.push({ goal, met: growth <= RSS_GROWTH_LIMIT, detail: `${fmt(at(large))} MB vs ${fmt(at(small))} MB (${fmt(growth, 2)}×)` });
    }
  }
  return goals;
}

/** Every measured peak RSS of a connector: its own runs and its side of the pipeline. */
function connectorRss(runs: RunResult[], name: "source" | "destination"): { docs: number; mb: number }[] {
  const out: { docs: number; mb: number }[] = [];
  for (const r of runs) {
    if (!ok(r)) continue;
    if (r.name === name) out.push({ docs: r.docs, mb: r.peakRssMb });
    const side = name === "source" ? r.sourcePeakRssMb : r.destinationPeakRssMb;
    if (r.name === "pipeline" && side !== undefined && Number.isFinite(side)) out.push({ docs: r.docs, mb: side });
  }
  return out;
}

export function markdown(results: BenchResults): string {
  const lines: string[] = [];
  lines.push("# Benchmarks", "");
  lines.push(
    `Measured ${results.date.slice(0, 10)} on ${results.cpus} × ${results.cpuModel.trim()}, Node ${results.node}; ` +
      `median of ${results.settings.reps} after ${results.settings.warmup ? "one warm-up" : "no warm-up"}. ` +
      "Each connector runs next to its baseline in the same run on the same data; the emulator runs in its own process.",
    "",
  );
  lines.push("| run | documents | latency | seconds | docs/s | MB/s | peak RSS (MB) | CPU s | emulator busy | baseline docs/s | ratio |");
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results.runs) {
    if (r.error !== undefined) {
      lines.push(`| ${r.name} | ${sizeLabel(r.docs)} | ${r.latencyMs} ms | failed | | | | | | | |`);
      continue;
    }
    const rss = r.name === "pipeline" ? `${fmt(r.sourcePeakRssMb, 0)} + ${fmt(r.destinationPeakRssMb, 0)}` : fmt(r.peakRssMb, 0);
    lines.push(
      `| ${r.name} | ${sizeLabel(r.docs)} | ${r.latencyMs} ms | ${fmt(r.seconds, 2)} | ${fmtInt(r.docsPerSec)} | ${fmt(r.mbPerSec)} | ${rss} | ${fmt(r.cpuSeconds, 2)} | ${emulatorBusy(r)} | ${r.baselineDocsPerSec === null ? "–" : fmtInt(r.baselineDocsPerSec)} | ${r.ratio === null ? "–" : `${fmt(r.ratio, 2)}×`} |`,
    );
  }
  lines.push("", "| goal | status | measured |", "| --- | --- | --- |");
  for (const g of results.goals) lines.push(`| ${g.goal} | ${g.met === null ? "not measured" : g.met ? "met" : "**not met**"} | ${g.detail} |`);
  lines.push(
    "",
    "Baselines: the source baseline fetches the same `list_snapshot` pages one after another with bare undici, " +
      "parses them with `JSON.parse` and writes RECORD lines with `JSON.stringify`; the destination baseline POSTs " +
      "pre-serialized `import_airbyte_records` batches one after another after adding the primary-key indexes. " +
      "Both run in their own process and are measured the same way. Ratio = connector docs/s ÷ baseline docs/s. " +
      "MB/s counts the bytes of the RECORD lines. Pipeline RSS is source + destination; CPU s is their sum. " +
      "Peak RSS is the highest over the repetitions. " +
      "Emulator busy is the emulator process's CPU time over the run's wall time, for the connector's run and then the baseline's " +
      "(pipeline: the source deployment + the destination deployment): near 100%, the single-threaded stand-in server, " +
      "not the client, set the pace.",
    "",
    "![throughput against size](benchmarks.svg)",
    "",
    "Run it with `npm run bench` (full) or `npm run bench -- --quick`; see bench/run.ts for the options.",
    "",
  );
  return lines.join("\n");
}

/** The emulator CPU of a run and of its baseline, as a share of each one's wall time. */
function emulatorBusy(r: RunResult): string {
  const share = (cpu: number[] | null | undefined, seconds: number | undefined) =>
    cpu === null || cpu === undefined || seconds === undefined ? "–" : cpu.map((c) => `${Math.round((100 * c) / seconds)}%`).join(" + ");
  const run = share(r.emulatorCpuSeconds, r.seconds);
  return r.baseline === null ? run : `${run} / ${share(r.baseline.emulatorCpuSeconds, r.baseline.seconds)}`;
}

const COLORS: Record<RunName, string> = { source: "#1f77b4", destination: "#d62728", pipeline: "#2ca02c" };

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** One panel per latency: documents per second against size, connectors solid, baselines dashed. */
export function svgChart(results: BenchResults): string {
  const latencies = [...new Set(results.runs.map((r) => r.latencyMs))].sort((a, b) => a - b);
  const sizes = [...new Set(results.runs.map((r) => r.docs))].sort((a, b) => a - b);
  const panelW = 420;
  const panelH = 300;
  const m = { left: 70, right: 20, top: 40, bottom: 50 };
  const width = Math.max(1, latencies.length) * panelW;
  const cols = width >= 600 ? 3 : 2;
  const legendH = 20 + Math.ceil(5 / cols) * 22;
  const height = panelH + legendH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  );
  const plotW = panelW - m.left - m.right;
  const plotH = panelH - m.top - m.bottom;
  const logMin = Math.log10(sizes[0] ?? 1);
  const logMax = Math.log10(sizes[sizes.length - 1] ?? 1);
  latencies.forEach((lat, i) => {
    const x0 = i * panelW + m.left;
    const y0 = m.top;
    const runs = results.runs.filter((r) => r.latencyMs === lat && r.error === undefined);
    const yMax = niceMax(Math.max(0, ...runs.flatMap((r) => [r.docsPerSec, r.baselineDocsPerSec ?? 0])) * 1.05);
    const px = (n: number) => (logMax === logMin ? x0 + plotW / 2 : x0 + ((Math.log10(n) - logMin) / (logMax - logMin)) * plotW * 0.9 + plotW * 0.05);
    const py = (v: number) => y0 + plotH - (v / yMax) * plotH;
    out.push(`<text x="${x0 + plotW / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${lat} ms added latency</text>`);
    for (let t = 0; t <= 5; t++) {
      const v = (yMax * t) / 5;
      const y = py(v);
      out.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${x0 - 6}" y="${y + 4}" text-anchor="end">${esc(v >= 1000 ? `${Math.round(v / 1000)}k` : String(Math.round(v)))}</text>`);
    }
    out.push(`<line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y0 + plotH}" stroke="#333"/>`);
    out.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${y0 + plotH}" y2="${y0 + plotH}" stroke="#333"/>`);
    for (const s of sizes) out.push(`<text x="${px(s)}" y="${y0 + plotH + 18}" text-anchor="middle">${sizeLabel(s)}</text>`);
    out.push(`<text x="${x0 + plotW / 2}" y="${y0 + plotH + 38}" text-anchor="middle">documents</text>`);
    out.push(
      `<text transform="translate(${x0 - 52},${y0 + plotH / 2}) rotate(-90)" text-anchor="middle">documents / second</text>`,
    );
    for (const name of ["source", "destination", "pipeline"] as const) {
      const rs = runs.filter((r) => r.name === name).sort((a, b) => a.docs - b.docs);
      const series: { pts: [number, number][]; dash: boolean }[] = [
        { pts: rs.map((r) => [px(r.docs), py(r.docsPerSec)]), dash: false },
        { pts: rs.filter((r) => r.baselineDocsPerSec !== null).map((r) => [px(r.docs), py(r.baselineDocsPerSec as number)]), dash: true },
      ];
      for (const { pts, dash } of series) {
        if (pts.length === 0) continue;
        const d = pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
        out.push(`<polyline points="${d}" fill="none" stroke="${COLORS[name]}" stroke-width="2"${dash ? ' stroke-dasharray="6 4"' : ""}/>`);
        for (const [x, y] of pts) {
          out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="${dash ? "white" : COLORS[name]}" stroke="${COLORS[name]}" stroke-width="2"/>`);
        }
      }
    }
  });
  const legend: [string, string, boolean][] = [
    ["source-convex", COLORS.source, false],
    ["source baseline", COLORS.source, true],
    ["destination-convex", COLORS.destination, false],
    ["destination baseline", COLORS.destination, true],
    ["pipeline", COLORS.pipeline, false],
  ];
  legend.forEach(([label, color, dash], i) => {
    const x = 20 + (i % cols) * 190;
    const y = panelH + 15 + Math.floor(i / cols) * 22;
    out.push(`<line x1="${x}" x2="${x + 30}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${dash ? ' stroke-dasharray="6 4"' : ""}/>`);
    out.push(`<text x="${x + 36}" y="${y + 4}">${esc(label)}</text>`);
  });
  out.push("</svg>", "");
  return out.join("\n");
}
