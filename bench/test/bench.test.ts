/**
 * Runs the bench end to end at a tiny size (one repetition, no warm-up), so that the harness cannot
 * rot. Nothing here asserts on time: only on the shape of the results and the document counts.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processCpuSeconds } from "../lib/emulator.js";
import { median } from "../lib/stats.js";
import type { BenchResults } from "../lib/types.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const DOCS = 300;
let out: string;
let results: BenchResults;

describe("npm run bench (tiny)", () => {
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "bench-test-"));
    execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "bench/tsconfig.json")], { cwd: root });
    execFileSync(
      process.execPath,
      [join(root, "bench/dist/run.js"), "--sizes", String(DOCS), "--latencies", "0", "--reps", "1", "--no-warmup", "--out", out],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"], timeout: 90_000 },
    );
    results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as BenchResults;
  }, 120_000);

  afterAll(() => {
    if (out !== undefined) rmSync(out, { recursive: true, force: true });
  });

  it("writes results.json with one run per connector and the pipeline", () => {
    expect(typeof results.node).toBe("string");
    expect(results.cpus).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(results.date))).toBe(false);
    expect(results.runs.map((r) => r.name).sort()).toEqual(["destination", "pipeline", "source"]);
    for (const r of results.runs) {
      expect(r.error).toBeUndefined();
      expect(r.docs).toBe(DOCS);
      expect(r.latencyMs).toBe(0);
      for (const v of [r.seconds, r.docsPerSec, r.mbPerSec, r.peakRssMb, r.cpuSeconds]) expect(v).toBeGreaterThan(0);
      // One emulator per run, two for the pipeline (source side, destination side); the same for baselines.
      expect(r.emulatorCpuSeconds).toHaveLength(r.name === "pipeline" ? 2 : 1);
      for (const c of [...(r.emulatorCpuSeconds ?? []), ...(r.baseline?.emulatorCpuSeconds ?? [])]) expect(c).toBeGreaterThanOrEqual(0);
      if (r.baseline !== null) expect(r.baseline.emulatorCpuSeconds).toHaveLength(1);
      expect(r.docsPerSec).toBeCloseTo(DOCS / r.seconds, -1);
      if (r.name === "pipeline") {
        expect(r.baselineDocsPerSec).toBeNull();
        expect(r.ratio).toBeNull();
      } else {
        expect(r.baselineDocsPerSec).toBeGreaterThan(0);
        expect(r.ratio).toBeCloseTo(r.docsPerSec / (r.baselineDocsPerSec as number), 1);
      }
    }
  });

  it("lists every goal as met, not met or not measured", () => {
    expect(results.goals.length).toBeGreaterThanOrEqual(9);
    for (const g of results.goals) {
      expect(typeof g.goal).toBe("string");
      expect([true, false, null]).toContain(g.met);
    }
  });

  it("writes the markdown table and the SVG chart", () => {
    const md = readFileSync(join(out, "benchmarks.md"), "utf8");
    expect(md).toContain("| run | documents |");
    // Each row's emulator busy cell: "N%", "N% / N%" with a baseline, "N% + N%" for the pipeline.
    expect(md.match(/\| \d+% \/ \d+% \|/g)).toHaveLength(2);
    expect(md.match(/\| \d+% \+ \d+% \|/g)).toHaveLength(1);
    expect(md.match(/^\| (source|destination|pipeline) \| 300 \|/gm)).toHaveLength(3);
    const svg = readFileSync(join(out, "benchmarks.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("<polyline");
    expect(existsSync(join(out, "profiles"))).toBe(false);
  });

  it("reads a process's CPU seconds from /proc", () => {
    const before = processCpuSeconds(process.pid);
    const cpu0 = process.cpuUsage();
    expect(before).toBeGreaterThan(0);
    // Busy until Node's own count says 0.2 s of CPU were used (however loaded the machine is).
    let used = 0;
    while (used < 0.2) {
      const u = process.cpuUsage(cpu0);
      used = (u.user + u.system) / 1e6;
    }
    const delta = (processCpuSeconds(process.pid) as number) - (before as number);
    // Both count the whole process; /proc in clock ticks (10 ms).
    expect(delta).toBeGreaterThan(used - 0.05);
    expect(delta).toBeLessThan(used + 0.1);
    expect(processCpuSeconds(2 ** 22 + 1)).toBeNull();
  });

  it("takes the median", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
