/**
 * Helpers for end-to-end tests of the destination against the Convex emulator: message builders,
 * a recording proxy (to see every request body), and runners for the compiled bin (a child
 * process) and for the connector in process (with short retry delays).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { type ConfiguredAirbyteStream, runConnector } from "@convex-airbyte/shared";
import { createDestination, type DestinationDeps } from "destination-convex";
import { parseOutput } from "../../../shared/test/support/protocol.js";

export const BIN = fileURLToPath(new URL("../../bin/destination-convex.js", import.meta.url));

export type Msg = Record<string, unknown>;

export function record(stream: string, data: Record<string, unknown>, namespace?: string): string {
  return JSON.stringify({ type: "RECORD", record: { stream, ...(namespace !== undefined ? { namespace } : {}), data, emitted_at: 1_700_000_000_000 } });
}

let stateId = 0;
/** A STREAM state as the platform forwards it (with its integer `id`). */
export function streamState(stream: string, cursor: unknown, namespace?: string): string {
  stateId++;
  const descriptor = namespace !== undefined ? { name: stream, namespace } : { name: stream };
  return JSON.stringify({ type: "STATE", state: { type: "STREAM", stream: { stream_descriptor: descriptor, stream_state: { cursor } }, sourceStats: { recordCount: 1 }, id: stateId } });
}

export function configuredStream(
  name: string,
  mode: ConfiguredAirbyteStream["destination_sync_mode"],
  opts: { namespace?: string; primaryKey?: string[][]; generation?: number; minimumGeneration?: number } = {},
): ConfiguredAirbyteStream {
  return {
    stream: {
      name,
      ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
      json_schema: { type: "object", properties: {} },
      supported_sync_modes: ["full_refresh", "incremental"],
    },
    sync_mode: mode === "overwrite" ? "full_refresh" : "incremental",
    destination_sync_mode: mode,
    ...(opts.primaryKey ? { primary_key: opts.primaryKey } : {}),
    generation_id: opts.generation ?? 0,
    minimum_generation_id: opts.minimumGeneration ?? 0,
    sync_id: 1,
  };
}

/** Writes config and catalog files and returns the `write` arguments. */
export function writeArgs(config: Msg, streams: ConfiguredAirbyteStream[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "dest-convex-"));
  const configFile = join(dir, "config.json");
  const catalogFile = join(dir, "catalog.json");
  writeFileSync(configFile, JSON.stringify(config));
  writeFileSync(catalogFile, JSON.stringify({ streams }));
  return ["write", "--config", configFile, "--catalog", catalogFile];
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  messages: Msg[];
  states: Msg[];
  /** Raw STATE lines as written. */
  stateLines: string[];
  logs: { level: string; message: string }[];
  errors: Msg[];
}

function result(code: number | null, stdout: string, stderr: string): RunResult {
  const messages = parseOutput(stdout);
  const lines = stdout.split("\n").filter((l) => l.length > 0);
  return {
    code,
    stdout,
    stderr,
    messages,
    states: messages.filter((m) => m.type === "STATE"),
    stateLines: lines.filter((l) => l.startsWith('{"type":"STATE"')),
    logs: messages.filter((m) => m.type === "LOG").map((m) => m.log as { level: string; message: string }),
    errors: messages.filter((m) => m.type === "TRACE" && (m.trace as Msg).type === "ERROR").map((m) => (m.trace as Msg).error as Msg),
  };
}

/** Runs the connector in this process, with near-zero retry delays. */
export async function runInProcess(args: string[], input: string[], deps: DestinationDeps = {}): Promise<RunResult> {
  let stdout = "";
  const out = new Writable({
    write(chunk, _enc, cb) {
      stdout += String(chunk);
      cb();
    },
  });
  const stdin = Readable.from(input.map((l) => `${l}\n`));
  const code = await runConnector(createDestination({ retry: { baseDelayMs: 5, maxDelayMs: 20, ...deps.retry }, ...deps }), args, { stdout: out, stdin });
  return result(code, stdout, "");
}

export interface BinRun {
  child: ChildProcess;
  /** Resolves when the process exits. */
  done: Promise<RunResult>;
  /** Calls `fn` with every stdout line as it arrives. */
  onLine(fn: (line: string) => void): void;
}

/** Starts the compiled bin; `input` is written to stdin (then closed unless `keepOpen`). */
export function startBin(args: string[], input: string[], opts: { keepOpen?: boolean } = {}): BinRun {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let partial = "";
  const listeners: ((line: string) => void)[] = [];
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
    partial += d.toString();
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const l of parts) for (const fn of listeners) fn(l);
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin?.on("error", () => undefined);
  const feed = async () => {
    for (const l of input) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (!child.stdin?.write(`${l}\n`)) await new Promise<void>((r) => child.stdin?.once("drain", () => r()));
    }
    if (!opts.keepOpen) child.stdin?.end();
  };
  void feed().catch(() => undefined);
  const done = new Promise<RunResult>((resolve) => {
    child.on("close", (code) => {
      // A killed process may leave a partial last line.
      const complete = stdout.endsWith("\n") ? stdout : stdout.slice(0, stdout.lastIndexOf("\n") + 1);
      resolve(result(code, complete, stderr));
    });
  });
  return { child, done, onLine: (fn) => listeners.push(fn) };
}

export function runBin(args: string[], input: string[]): Promise<RunResult> {
  return startBin(args, input).done;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: string;
}

/** A pass-through HTTP proxy in front of the emulator that records every request body. */
export class RecordingProxy {
  readonly requests: RecordedRequest[] = [];
  private server: http.Server | undefined;

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    const target = new URL(this.target);
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        this.requests.push({ method: req.method ?? "GET", path: req.url ?? "", body: body.toString() });
        const fwd = http.request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        fwd.on("error", () => res.destroy());
        fwd.end(body);
      });
    });
    const server = this.server;
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Bodies of import requests, parsed. */
  imports(): { tables: Record<string, { primaryKey: string[][] | null }>; messages: { tableName: string; data: Msg }[] }[] {
    return this.requests.filter((r) => r.path.endsWith("/import_airbyte_records")).map((r) => JSON.parse(r.body));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

/** Rows of a table without system fields, sorted by `key`. */
export function rows(docs: Record<string, unknown>[], key = "id"): Msg[] {
  return docs
    .map((d) => Object.fromEntries(Object.entries(d).filter(([k]) => k !== "_id" && k !== "_creationTime")))
    .sort((a, b) => String(a[key]).localeCompare(String(b[key]), undefined, { numeric: true }));
}
