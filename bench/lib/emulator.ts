/** Runs the Convex emulator in its own process, so that its CPU time is not the connector's. */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { BIN } from "./paths.js";

export interface EmulatorOptions {
  adminKey: string;
  seedDocs: number;
  latencyMs: number;
  seed?: number;
  /** Heap limit for the emulator (1M seeded documents need a few GB). */
  maxOldSpaceMb?: number;
  startTimeoutMs?: number;
}

export interface Emulator {
  url: string;
  /** CPU seconds (user + system) the emulator process has used so far; null where /proc is missing. */
  cpuSeconds(): number | null;
  stop(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const args = [
    `--max-old-space-size=${opts.maxOldSpaceMb ?? 8192}`,
    BIN.emulator,
    "--port",
    "0",
    "--admin-key",
    opts.adminKey,
    "--seed-docs",
    String(opts.seedDocs),
  ];
  if (opts.latencyMs > 0) args.push("--latency-ms", String(opts.latencyMs));
  if (opts.seed !== undefined) args.push("--seed", String(opts.seed));
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });
  const timeoutMs = opts.startTimeoutMs ?? 10 * 60_000;
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the emulator did not start within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`the emulator ${why} before listening (args: ${args.slice(1).join(" ")}); stderr: ${stderr}`));
    };
    child.once("error", (err) => fail(`failed: ${err.message}`));
    child.once("exit", (code, signal) => fail(`exited with ${signal ?? code}`));
    lines.once("line", (line) => {
      clearTimeout(timer);
      const m = /^listening on (http:\/\/\S+)/.exec(line.trim());
      if (m === null) {
        child.kill("SIGKILL");
        reject(new Error(`unexpected first line from the emulator: ${line}`));
        return;
      }
      child.removeAllListeners("exit");
      // Keep draining its stdout so that it never blocks on a full pipe.
      lines.on("line", () => {});
      resolve(m[1] as string);
    });
  });
  const pid = child.pid as number;
  return { url, cpuSeconds: () => processCpuSeconds(pid), stop: () => stopChild(child) };
}

let ticksPerSecond: number | undefined;

/** A live process's CPU seconds from /proc/PID/stat (utime + stime, in clock ticks); null if unreadable. */
export function processCpuSeconds(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime
  // are the 14th and 15th fields of the line, so the 12th and 13th after ") ".
  const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) return null;
  ticksPerSecond ??= clockTicks();
  return ticks / ticksPerSecond;
}

function clockTicks(): number {
  try {
    const n = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // No getconf: Linux's USER_HZ is 100 on every common architecture.
  }
  return 100;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
