/**
 * Runs one Node program as a measured child process: wall seconds (measured here), peak RSS and
 * CPU seconds (user + sys) from `/usr/bin/time -v`, or from a `--import` hook when it is missing.
 */
import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CHILD, HAS_GNU_TIME, TIME_BIN } from "./paths.js";

export interface Measurement {
  seconds: number;
  peakRssMb: number;
  cpuSeconds: number;
  exitCode: number | null;
  signal: string | null;
  /** The last few KB of the child's stderr, for error messages. */
  stderrTail: string;
}

export interface MeasuredSpec {
  /** The script node runs. */
  script: string;
  args: string[];
  /** Extra node flags (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** stdin: nothing, a pipe for the caller, an open file descriptor, or another child's stdout stream. */
  stdin: "ignore" | "pipe" | number | NodeJS.ReadableStream;
  /** stdout: a pipe for the caller, discarded, or another child's stdin stream. */
  stdout: "pipe" | "ignore" | NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the child after this many ms (0 = never). */
  timeoutMs?: number;
}

export interface MeasuredChild {
  child: ChildProcess;
  done: Promise<Measurement>;
}

let counter = 0;

export function spawnMeasured(spec: MeasuredSpec): MeasuredChild {
  const usageFile = join(tmpdir(), `bench-usage-${process.pid}-${++counter}.txt`);
  const nodeArgs = spec.nodeArgs ?? [];
  let cmd: string;
  let args: string[];
  // The connectors' images set MALLOC_ARENA_MAX=2 (see the Dockerfiles); every measured process
  // runs with it, baselines included, so peak RSS is what the shipped image shows.
  const env: NodeJS.ProcessEnv = { ...process.env, MALLOC_ARENA_MAX: "2", ...spec.env };
  if (HAS_GNU_TIME) {
    cmd = TIME_BIN;
    args = ["-v", "-o", usageFile, process.execPath, ...nodeArgs, spec.script, ...spec.args];
  } else {
    cmd = process.execPath;
    args = ["--import", pathToFileURL(CHILD.rusageHook).href, ...nodeArgs, spec.script, ...spec.args];
    env.BENCH_RUSAGE_FILE = usageFile;
  }
  const stdio = [spec.stdin, spec.stdout, "pipe"] as StdioOptions;
  const started = process.hrtime.bigint();
  const child = spawn(cmd, args, { stdio, env, cwd: spec.cwd });
  let stderrTail = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (s: string) => {
    stderrTail = (stderrTail + s).slice(-6000);
  });
  let timer: NodeJS.Timeout | undefined;
  if (spec.timeoutMs !== undefined && spec.timeoutMs > 0) {
    timer = setTimeout(() => child.kill("SIGKILL"), spec.timeoutMs);
  }
  const done = new Promise<Measurement>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      let usage: { maxRssKb: number; userSeconds: number; systemSeconds: number };
      try {
        usage = HAS_GNU_TIME ? parseGnuTime(readFileSync(usageFile, "utf8")) : JSON.parse(readFileSync(usageFile, "utf8"));
      } catch {
        usage = { maxRssKb: Number.NaN, userSeconds: Number.NaN, systemSeconds: Number.NaN };
      }
      rmSync(usageFile, { force: true });
      resolve({
        seconds,
        peakRssMb: usage.maxRssKb / 1024,
        cpuSeconds: usage.userSeconds + usage.systemSeconds,
        exitCode: code,
        signal,
        stderrTail,
      });
    });
  });
  return { child, done };
}

/** Reads the fields the bench needs from `/usr/bin/time -v` output. */
export function parseGnuTime(text: string): { maxRssKb: number; userSeconds: number; systemSeconds: number } {
  const field = (label: string): number => {
    const m = new RegExp(`${label}:\\s*([0-9.]+)`).exec(text);
    return m === null ? Number.NaN : Number(m[1]);
  };
  return {
    maxRssKb: field("Maximum resident set size \\(kbytes\\)"),
    userSeconds: field("User time \\(seconds\\)"),
    systemSeconds: field("System time \\(seconds\\)"),
  };
}

/** Throws with the child's stderr when it did not exit with 0. */
export function assertSucceeded(what: string, m: Measurement): void {
  if (m.exitCode !== 0) {
    throw new Error(`${what} exited with ${m.signal ?? m.exitCode}; stderr tail:\n${m.stderrTail}`);
  }
}
