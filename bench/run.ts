/**
 * `npm run bench`: each connector next to its baseline, in one run on the same data.
 *
 *   --quick            20k documents only, one repetition after the warm-up
 *   --sizes 100000,1000000
 *   --latencies 0,20   added latency per emulator request, in ms
 *   --reps 3           timed repetitions after one warm-up (median reported; --quick: 1)
 *   --no-warmup
 *   --only source,destination,pipeline
 *   --out DIR          results.json goes here (default bench/)
 *   --docs DIR         benchmarks.md and benchmarks.svg go here (default docs/, or --out when given)
 *   --profile          instead of the bench: --cpu-prof the source and destination at the first size
 *   --timeout-min 30   kill a connector run after this long
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type BenchOptions, runBench } from "./lib/harness.js";
import { REPO_ROOT } from "./lib/paths.js";
import { profileMarkdown, summarizeProfiles } from "./lib/profile.js";
import { markdown, svgChart } from "./lib/report.js";
import type { RunName } from "./lib/types.js";

function numbers(text: string, what: string): number[] {
  const list = text.split(",").map((s) => Number(s.trim().replace(/_/g, "").replace(/k$/i, "000").replace(/m$/i, "000000")));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`--${what} needs a comma-separated list of whole numbers, got ${text}`);
  return list;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      sizes: { type: "string" },
      latencies: { type: "string" },
      reps: { type: "string" },
      "no-warmup": { type: "boolean", default: false },
      only: { type: "string" },
      out: { type: "string" },
      docs: { type: "string" },
      profile: { type: "boolean", default: false },
      seed: { type: "string", default: "1" },
      "timeout-min": { type: "string", default: "30" },
    },
    strict: true,
  });
  const sizes = values.sizes !== undefined ? numbers(values.sizes, "sizes") : values.quick ? [20_000] : values.profile ? [100_000] : [100_000, 1_000_000];
  const latencies = values.latencies !== undefined ? numbers(values.latencies, "latencies") : values.profile ? [0] : [0, 20];
  const reps = values.reps !== undefined ? numbers(values.reps, "reps")[0]! : values.quick ? 1 : 3;
  const outDir = resolve(values.out ?? join(REPO_ROOT, "bench"));
  const docsDir = resolve(values.docs ?? (values.out !== undefined ? values.out : join(REPO_ROOT, "docs")));
  const only = values.only?.split(",").map((s) => s.trim()) as RunName[] | undefined;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const opts: BenchOptions = {
    sizes,
    latencies,
    reps: Math.max(1, reps),
    warmup: !values["no-warmup"],
    seed: Number(values.seed),
    only,
    runTimeoutMs: Number(values["timeout-min"]) * 60_000,
    verifyAll: sizes.every((n) => n <= 50_000),
    log,
  };
  mkdirSync(outDir, { recursive: true });
  mkdirSync(docsDir, { recursive: true });

  if (values.profile) {
    const profDir = join(outDir, "profiles");
    rmSync(profDir, { recursive: true, force: true });
    const dirs = { source: join(profDir, "source"), destination: join(profDir, "destination") };
    mkdirSync(dirs.source, { recursive: true });
    mkdirSync(dirs.destination, { recursive: true });
    const results = await runBench({
      ...opts,
      sizes: sizes.slice(0, 1),
      latencies: latencies.slice(0, 1),
      reps: 1,
      warmup: false,
      only: ["source", "destination"],
      connectorNodeArgs: (name) => ["--cpu-prof", "--cpu-prof-dir", dirs[name]],
    });
    let md = `# CPU profiles at ${sizes[0]} documents, ${latencies[0]} ms latency\n\n`;
    md += profileMarkdown("source-convex read", summarizeProfiles(dirs.source));
    md += `\n${profileMarkdown("destination-convex write", summarizeProfiles(dirs.destination))}`;
    writeFileSync(join(outDir, "profile.md"), md);
    process.stdout.write(md);
    return results.runs.some((r) => r.error !== undefined) ? 1 : 0;
  }

  const results = await runBench(opts);
  writeFileSync(join(outDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  const md = markdown(results);
  writeFileSync(join(docsDir, "benchmarks.md"), md);
  writeFileSync(join(docsDir, "benchmarks.svg"), svgChart(results));
  process.stdout.write(md);
  log(`wrote ${join(outDir, "results.json")}, ${join(docsDir, "benchmarks.md")}, ${join(docsDir, "benchmarks.svg")}`);
  return results.runs.some((r) => r.error !== undefined) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);

