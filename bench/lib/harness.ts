/**
 * The bench: for each size and latency, the source, the destination and the pipeline, each next
 * to its baseline in the same run on the same data (warm-up once, then the median of the reps).
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, startEmulator } from "./emulator.js";
import { assertSucceeded, type Measurement, spawnMeasured } from "./measure.js";
import { type OutputCounts, OutputCounter } from "./output.js";
import { BIN, CHILD, HAS_GNU_TIME } from "./paths.js";
import {
  buildImportBatches,
  countDocuments,
  type DiscoveredStream,
  dedupIndexes,
  destinationCatalog,
  discover,
  sourceCatalog,
  total,
  writeConfig,
} from "./protocol.js";
import { evaluateGoals } from "./report.js";
import { median, round } from "./stats.js";
import type { BenchResults, RunName, RunResult } from "./types.js";

export interface BenchOptions {
  sizes: number[];
  latencies: number[];
  reps: number;
  warmup: boolean;
  seed: number;
  /** Which runs to do (default all three). */
  only?: RunName[];
  /** Kill a connector run after this many ms. */
  runTimeoutMs: number;
  /** Check the destination's document count after every run, not only the first. */
  verifyAll: boolean;
  log: (line: string) => void;
  /** Extra node flags for the connector processes (e.g. --cpu-prof). */
  connectorNodeArgs?: (name: "source" | "destination") => string[];
}

const ADMIN_KEY = "bench-admin-key";

interface Sample {
  m: Measurement;
  docs: number;
  bytes: number;
  /** Pipeline: the destination's measurement. */
  m2?: Measurement;
  /** CPU seconds of each emulator the run talked to, during the run (source side first); null where unreadable. */
  emulatorCpu?: (number | null)[];
}

interface SizeData {
  recordsFile: string;
  recordsBytes: number;
  batchesFile?: string;
  streams: DiscoveredStream[];
  expected: number;
}

export async function runBench(opts: BenchOptions): Promise<BenchResults> {
  const work = mkdtempSync(join(tmpdir(), "convex-bench-"));
  const runs: RunResult[] = [];
  const only = new Set<RunName>(opts.only ?? ["source", "destination", "pipeline"]);
  try {
    for (const size of opts.sizes) {
      const sizeDir = join(work, String(size));
      mkdirSync(sizeDir, { recursive: true });
      let data: SizeData | undefined;
      for (const latencyMs of opts.latencies) {
        opts.log(`== ${size} documents, ${latencyMs} ms latency: seeding the source deployment`);
        const src = await startEmulator({ adminKey: ADMIN_KEY, seedDocs: size, latencyMs, seed: opts.seed });
        try {
          const dir = join(sizeDir, String(latencyMs));
          mkdirSync(dir, { recursive: true });
          const srcConfig = writeConfig(dir, "source-config", src.url, ADMIN_KEY);
          const streams = await discover(srcConfig);
          const srcCatalog = join(dir, "source-catalog.json");
          writeFileSync(srcCatalog, JSON.stringify(sourceCatalog(streams)));
          const dstCatalog = join(dir, "destination-catalog.json");
          writeFileSync(dstCatalog, JSON.stringify(destinationCatalog(streams)));
          const expected = total(await countDocuments(src.url, ADMIN_KEY));
          if (expected !== size) opts.log(`   note: the emulator holds ${expected} documents for --seed-docs ${size}`);
          const tables = JSON.stringify(streams.map((s) => ({ name: s.name, namespace: s.namespace })));

          // The records file (the destination's input) comes from the source connector's first run.
          if (data === undefined) {
            const recordsFile = join(sizeDir, "records.jsonl");
            opts.log("   source warm-up (writing the records file)");
            const s = await sourceRun(opts, srcConfig, srcCatalog, recordsFile);
            checkDocs("source", s.docs, expected);
            data = { recordsFile, recordsBytes: statSync(recordsFile).size, streams, expected };
          }
          const d = data;

          if (only.has("source")) {
            const r = await measurePair(opts, "source", size, latencyMs, d.expected, {
              connector: () => measuringEmulators([src], () => sourceRun(opts, srcConfig, srcCatalog)),
              baseline: () => measuringEmulators([src], () => sourceBaselineRun(opts, src.url, tables)),
            });
            runs.push(r);
          }

          if (only.has("destination") || only.has("pipeline")) {
            if (d.batchesFile === undefined) {
              const batchesFile = join(sizeDir, "batches.jsonl");
              const b = await buildImportBatches(d.recordsFile, batchesFile, d.streams);
              checkDocs("the import batches", b.records, d.expected);
              d.batchesFile = batchesFile;
            }
          }

          if (only.has("destination")) {
            let first = true;
            const verify = () => {
              const v = first || opts.verifyAll;
              first = false;
              return v;
            };
            const indexes = JSON.stringify(dedupIndexes(d.streams));
            const r = await measurePair(opts, "destination", size, latencyMs, d.expected, {
              connector: () => withFreshDeployment(latencyMs, opts, (url) => destinationRun(opts, url, dir, dstCatalog, d), verify()),
              baseline: () =>
                withFreshDeployment(latencyMs, opts, (url) => destinationBaselineRun(opts, url, d.batchesFile!, indexes, d), verify()),
            });
            runs.push(r);
          }

          if (only.has("pipeline")) {
            let first = true;
            const r = await measurePair(opts, "pipeline", size, latencyMs, d.expected, {
              connector: () => {
                const v = first || opts.verifyAll;
                first = false;
                return withFreshDeployment(latencyMs, opts, (url) => pipelineRun(opts, srcConfig, srcCatalog, url, dir, dstCatalog, d), v, [src]);
              },
            });
            runs.push(r);
          }
        } finally {
          await src.stop();
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    date: new Date().toISOString(),
    gnuTime: HAS_GNU_TIME,
    settings: { sizes: opts.sizes, latencies: opts.latencies, reps: opts.reps, warmup: opts.warmup },
    runs,
    goals: evaluateGoals(runs),
  };
}

function checkDocs(what: string, got: number, expected: number): void {
  if (got !== expected) throw new Error(`${what} produced ${got} documents; the deployment holds ${expected}`);
}

/** Warm-up, then reps of connector and baseline alternately, so that machine noise hits both. */
async function measurePair(
  opts: BenchOptions,
  name: RunName,
  docs: number,
  latencyMs: number,
  expected: number,
  fns: { connector: () => Promise<Sample>; baseline?: () => Promise<Sample> },
): Promise<RunResult> {
  const conn: Sample[] = [];
  const base: Sample[] = [];
  try {
    if (opts.warmup) {
      opts.log(`   ${name} warm-up`);
      checkDocs(name, (await fns.connector()).docs, expected);
      if (fns.baseline) checkDocs(`${name} baseline`, (await fns.baseline()).docs, expected);
    }
    for (let i = 0; i < opts.reps; i++) {
      const c = await fns.connector();
      checkDocs(name, c.docs, expected);
      conn.push(c);
      let line = `   ${name} rep ${i + 1}: ${c.m.seconds.toFixed(2)} s`;
      if (fns.baseline) {
        const b = await fns.baseline();
        checkDocs(`${name} baseline`, b.docs, expected);
        base.push(b);
        line += `, baseline ${b.m.seconds.toFixed(2)} s`;
      }
      opts.log(line);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    opts.log(`   ${name} FAILED: ${message.slice(0, 2000)}`);
    return failedRun(name, docs, latencyMs, message);
  }
  const seconds = median(conn.map((s) => s.m.seconds));
  const bytes = median(conn.map((s) => s.bytes));
  const docsPerSec = expected / seconds;
  const rss = (s: Sample) => Math.max(s.m.peakRssMb, s.m2?.peakRssMb ?? 0);
  const cpu = (s: Sample) => s.m.cpuSeconds + (s.m2?.cpuSeconds ?? 0);
  let baseline: RunResult["baseline"] = null;
  if (base.length > 0) {
    const bs = median(base.map((s) => s.m.seconds));
    baseline = {
      seconds: round(bs),
      docsPerSec: round(expected / bs),
      mbPerSec: round(median(base.map((s) => s.bytes)) / 1e6 / bs),
      peakRssMb: round(Math.max(...base.map((s) => s.m.peakRssMb))),
      cpuSeconds: round(median(base.map((s) => s.m.cpuSeconds))),
      emulatorCpuSeconds: emulatorCpu(base),
    };
  }
  const result: RunResult = {
    name,
    docs,
    latencyMs,
    seconds: round(seconds),
    docsPerSec: round(docsPerSec),
    mbPerSec: round(bytes / 1e6 / seconds),
    peakRssMb: round(Math.max(...conn.map(rss))),
    cpuSeconds: round(median(conn.map(cpu))),
    emulatorCpuSeconds: emulatorCpu(conn),
    baselineDocsPerSec: baseline?.docsPerSec ?? null,
    ratio: baseline === null ? null : round(docsPerSec / (expected / baseline.seconds), 3),
    baseline,
    reps: conn.length,
    samples: { seconds: conn.map((s) => round(s.m.seconds)), baselineSeconds: base.map((s) => round(s.m.seconds)) },
  };
  if (name === "pipeline") {
    result.sourcePeakRssMb = round(Math.max(...conn.map((s) => s.m.peakRssMb)));
    result.destinationPeakRssMb = round(Math.max(...conn.map((s) => s.m2?.peakRssMb ?? Number.NaN)));
  }
  return result;
}

/** Per emulator, the median of its CPU seconds over the samples; null when any was unreadable. */
function emulatorCpu(samples: Sample[]): number[] | null {
  const first = samples[0]?.emulatorCpu;
  if (first === undefined) return null;
  const out: number[] = [];
  for (let i = 0; i < first.length; i++) {
    const values = samples.map((s) => s.emulatorCpu?.[i]);
    if (values.some((v) => v === null || v === undefined)) return null;
    out.push(round(median(values as number[])));
  }
  return out;
}

function failedRun(name: RunName, docs: number, latencyMs: number, error: string): RunResult {
  return {
    name,
    docs,
    latencyMs,
    seconds: Number.NaN,
    docsPerSec: Number.NaN,
    mbPerSec: Number.NaN,
    peakRssMb: Number.NaN,
    cpuSeconds: Number.NaN,
    emulatorCpuSeconds: null,
    baselineDocsPerSec: null,
    ratio: null,
    baseline: null,
    reps: 0,
    samples: { seconds: [], baselineSeconds: [] },
    error,
  };
}

async function sourceRun(opts: BenchOptions, config: string, catalog: string, teeFile?: string): Promise<Sample> {
  const run = spawnMeasured({
    script: BIN.source,
    args: ["read", "--config", config, "--catalog", catalog],
    nodeArgs: opts.connectorNodeArgs?.("source"),
    stdin: "ignore",
    stdout: "pipe",
    timeoutMs: opts.runTimeoutMs,
  });
  const counts = await new OutputCounter(teeFile).drain(run.child.stdout!);
  const m = await run.done;
  assertSucceeded("source-convex read", m);
  return { m, docs: counts.records, bytes: counts.recordBytes };
}

async function sourceBaselineRun(opts: BenchOptions, url: string, tables: string): Promise<Sample> {
  const run = spawnMeasured({
    script: CHILD.sourceBaseline,
    args: [url, ADMIN_KEY, tables],
    stdin: "ignore",
    stdout: "pipe",
    timeoutMs: opts.runTimeoutMs,
  });
  const counts = await new OutputCounter().drain(run.child.stdout!);
  const m = await run.done;
  assertSucceeded("the source baseline", m);
  return { m, docs: counts.records, bytes: counts.recordBytes };
}

/**
 * Runs `fn` against a fresh, empty deployment; optionally checks that it then holds every document.
 * Measures the CPU of that deployment during `fn`, after that of `also` (the source side's).
 */
async function withFreshDeployment(
  latencyMs: number,
  opts: BenchOptions,
  fn: (url: string) => Promise<Sample>,
  verify: boolean,
  also: Emulator[] = [],
): Promise<Sample> {
  const dst: Emulator = await startEmulator({ adminKey: ADMIN_KEY, seedDocs: 0, latencyMs, seed: opts.seed });
  try {
    const sample = await measuringEmulators([...also, dst], () => fn(dst.url));
    if (verify) sample.docs = total(await countDocuments(dst.url, ADMIN_KEY));
    return sample;
  } finally {
    await dst.stop();
  }
}

/** `fn`'s sample, with the CPU each of `emulators` used while it ran. */
async function measuringEmulators(emulators: Emulator[], fn: () => Promise<Sample>): Promise<Sample> {
  const before = emulators.map((e) => e.cpuSeconds());
  const sample = await fn();
  sample.emulatorCpu = emulators.map((e, i) => {
    const a = before[i];
    const b = e.cpuSeconds();
    return a === null || a === undefined || b === null ? null : b - a;
  });
  return sample;
}

function describeOutput(c: OutputCounts): string {
  return c.sample.length === 0 ? "" : `; output: ${c.sample.join(" | ")}`;
}

async function destinationRun(opts: BenchOptions, url: string, dir: string, catalog: string, d: SizeData): Promise<Sample> {
  const config = writeConfig(dir, "destination-config", url, ADMIN_KEY);
  const fd = openSync(d.recordsFile, "r");
  let run: ReturnType<typeof spawnMeasured>;
  try {
    run = spawnMeasured({
      script: BIN.destination,
      args: ["write", "--config", config, "--catalog", catalog],
      nodeArgs: opts.connectorNodeArgs?.("destination"),
      stdin: fd,
      stdout: "pipe",
      timeoutMs: opts.runTimeoutMs,
    });
  } finally {
    closeSync(fd);
  }
  const counts = await new OutputCounter().drain(run.child.stdout!);
  const m = await run.done;
  if (m.exitCode !== 0) m.stderrTail += describeOutput(counts);
  assertSucceeded("destination-convex write", m);
  // Counted in the deployment when verified; otherwise assumed complete after a clean exit.
  return { m, docs: d.expected, bytes: d.recordsBytes };
}

async function destinationBaselineRun(opts: BenchOptions, url: string, batchesFile: string, indexes: string, d: SizeData): Promise<Sample> {
  const run = spawnMeasured({
    script: CHILD.destinationBaseline,
    args: [url, ADMIN_KEY, batchesFile, indexes],
    stdin: "ignore",
    stdout: "ignore",
    timeoutMs: opts.runTimeoutMs,
  });
  const m = await run.done;
  assertSucceeded("the destination baseline", m);
  return { m, docs: d.expected, bytes: d.recordsBytes };
}

async function pipelineRun(
  opts: BenchOptions,
  srcConfig: string,
  srcCatalog: string,
  dstUrl: string,
  dir: string,
  dstCatalog: string,
  d: SizeData,
): Promise<Sample> {
  const dstConfig = writeConfig(dir, "pipeline-destination-config", dstUrl, ADMIN_KEY);
  const dst = spawnMeasured({
    script: BIN.destination,
    args: ["write", "--config", dstConfig, "--catalog", dstCatalog],
    nodeArgs: opts.connectorNodeArgs?.("destination"),
    stdin: "pipe",
    stdout: "pipe",
    timeoutMs: opts.runTimeoutMs,
  });
  // The source writes straight into the destination's stdin pipe; the bench closes its own copy.
  const src = spawnMeasured({
    script: BIN.source,
    args: ["read", "--config", srcConfig, "--catalog", srcCatalog],
    nodeArgs: opts.connectorNodeArgs?.("source"),
    stdin: "ignore",
    stdout: dst.child.stdin!,
    timeoutMs: opts.runTimeoutMs,
  });
  dst.child.stdin!.destroy();
  const counts = new OutputCounter().drain(dst.child.stdout!);
  const [ms, md] = await Promise.all([src.done, dst.done]);
  await counts;
  assertSucceeded("source-convex read (pipeline)", ms);
  assertSucceeded("destination-convex write (pipeline)", md);
  const m: Measurement = { ...ms, seconds: Math.max(ms.seconds, md.seconds) };
  return { m, m2: md, docs: d.expected, bytes: d.recordsBytes };
}
