/** Runs the connector executables as child processes, the way the platform does. */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const SOURCE_BIN = fileURLToPath(new URL("../../../source-convex/bin/source-convex.js", import.meta.url));
export const DESTINATION_BIN = fileURLToPath(new URL("../../../destination-convex/bin/destination-convex.js", import.meta.url));

export interface CommandResult {
  code: number | null;
  messages: Record<string, unknown>[];
  stderr: string;
}

/** Runs one command to completion and parses its stdout lines. */
export async function runCommand(bin: string, args: string[]): Promise<CommandResult> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const messages = collectMessages(child);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await exitCode(child);
  return { code, messages: await messages, stderr };
}

export function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("close", (code) => resolve(code)));
}

async function collectMessages(child: ChildProcess): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  if (!child.stdout) return out;
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim()) out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}

export interface SyncStats {
  sourceCode: number | null;
  destinationCode: number | null;
  records: number;
  bytes: number;
  sourceStates: number;
  /** The destination's echoed states: what the platform would persist. */
  committedStates: string[];
  errors: string[];
  seconds: number;
}

/**
 * `source read | destination write`, relaying only RECORD, STATE and stream-status lines, as the
 * platform does. Returns the destination's echoed states, the last of which resume the next sync.
 */
export async function pipeSync(sourceArgs: string[], destinationArgs: string[]): Promise<SyncStats> {
  const started = process.hrtime.bigint();
  const source = spawn(process.execPath, [SOURCE_BIN, ...sourceArgs], { stdio: ["ignore", "pipe", "pipe"] });
  const destination = spawn(process.execPath, [DESTINATION_BIN, ...destinationArgs], { stdio: ["pipe", "pipe", "pipe"] });
  const stats: SyncStats = { sourceCode: null, destinationCode: null, records: 0, bytes: 0, sourceStates: 0, committedStates: [], errors: [], seconds: 0 };
  let stderr = "";
  source.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  destination.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  destination.stdin.on("error", () => {
    /* the destination exited early; its own output says why */
  });

  const relay = (async () => {
    for await (const line of createInterface({ input: source.stdout, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (line.startsWith('{"type":"RECORD"')) {
        stats.records++;
        stats.bytes += line.length + 1;
      } else if (line.startsWith('{"type":"STATE"')) {
        stats.sourceStates++;
      } else if (line.startsWith('{"type":"TRACE"')) {
        const msg = JSON.parse(line) as { trace?: { type?: string; error?: { message?: string } } };
        if (msg.trace?.type === "ERROR") stats.errors.push(`source: ${msg.trace.error?.message ?? "unknown error"}`);
        if (msg.trace?.type !== "STREAM_STATUS") continue;
      } else continue;
      if (!destination.stdin.write(`${line}\n`)) await new Promise((r) => destination.stdin.once("drain", r));
    }
    destination.stdin.end();
  })();

  const echoes = (async () => {
    for await (const line of createInterface({ input: destination.stdout, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (line.startsWith('{"type":"STATE"')) stats.committedStates.push(line);
      else if (line.includes('"type":"ERROR"')) {
        const msg = JSON.parse(line) as { trace?: { error?: { message?: string } } };
        stats.errors.push(`destination: ${msg.trace?.error?.message ?? "unknown error"}`);
      }
    }
  })();

  [stats.sourceCode, stats.destinationCode] = await Promise.all([exitCode(source), exitCode(destination), relay, echoes]);
  stats.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if ((stats.sourceCode !== 0 || stats.destinationCode !== 0) && stderr.trim()) stats.errors.push(`stderr: ${stderr.trim().slice(0, 2000)}`);
  return stats;
}

/**
 * The state the platform would pass to the next read: the last committed state per stream, as
 * an array of state messages (destinationStats removed, as the platform stores the source's).
 */
export function nextStateFile(committed: string[]): string {
  const latest = new Map<string, string>();
  for (const line of committed) {
    const state = line.slice(line.indexOf('"state":') + 8, -1);
    const m = /"stream_descriptor":(\{[^}]*\})/.exec(state);
    latest.set(m?.[1] ?? "global", state);
  }
  return `[${[...latest.values()].join(",")}]`;
}
