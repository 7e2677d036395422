/**
 * Helpers for the end-to-end suites in integration_tests/test/source*.test.ts: run the compiled
 * source bin (or the connector in-process), validate every stdout line against the protocol
 * schema, and keep a destination-side view (records applied by `_id`, deletes remove).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseExact, stringifyExact } from "@convex-airbyte/shared";
import { assertValidMessageLine } from "../../shared/test/support/protocol.js";

export const BIN = fileURLToPath(new URL("../bin/source-convex.js", import.meta.url));

export type Msg = Record<string, unknown> & { type: string };

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  messages: Msg[];
  stderr: string;
}

export interface RunOptions {
  config: unknown;
  catalog?: unknown;
  state?: unknown;
  /** SIGKILL the process once this many stdout lines were seen. */
  killAfterLines?: number;
  /** SIGTERM the process once this many stdout lines were seen. */
  termAfterLines?: number;
}

function tmpFile(dir: string, name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, stringifyExact(value));
  return p;
}

/** Runs `node bin/source-convex.js <command>`; every complete stdout line is schema-validated. */
export function runBin(command: string, opts: RunOptions): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "source-convex-e2e-"));
  const args = [BIN, command, "--config", tmpFile(dir, "config.json", opts.config)];
  if (opts.catalog !== undefined) args.push("--catalog", tmpFile(dir, "catalog.json", opts.catalog));
  if (opts.state !== undefined) args.push("--state", tmpFile(dir, "state.json", opts.state));
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let partial = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.on("data", (d: Buffer) => {
    partial += d.toString();
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      if (line === "") continue;
      lines.push(line);
      if (opts.killAfterLines !== undefined && lines.length === opts.killAfterLines) child.kill("SIGKILL");
      if (opts.termAfterLines !== undefined && lines.length === opts.termAfterLines) child.kill("SIGTERM");
    }
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      // A killed process may leave half a line; the platform drops it, and so do we.
      const complete = signal === "SIGKILL" ? lines : partial === "" ? lines : [...lines, partial];
      const messages = complete.map((l) => {
        assertValidMessageLine(l);
        return parseExact(l) as Msg;
      });
      resolve({ code, signal, lines: complete, messages, stderr });
    });
  });
}

export function configuredCatalog(streams: { name: string; namespace?: string; mode: "full_refresh" | "incremental" }[]): unknown {
  return {
    streams: streams.map((s) => ({
      stream: { name: s.name, ...(s.namespace ? { namespace: s.namespace } : {}), json_schema: {}, supported_sync_modes: ["full_refresh", "incremental"], source_defined_cursor: true, default_cursor_field: ["_ts"], source_defined_primary_key: [["_id"]] },
      sync_mode: s.mode,
      destination_sync_mode: s.mode === "incremental" ? "append_dedup" : "overwrite",
      cursor_field: ["_ts"],
      primary_key: [["_id"]],
    })),
  };
}

export const viewKey = (stream: string, namespace?: string) => `${namespace ?? ""}/${stream}`;

/** Destination-side view: stream key → `_id` → record data. */
export class DestinationView {
  readonly tables = new Map<string, Map<string, Record<string, unknown>>>();

  apply(messages: readonly Msg[]): void {
    for (const m of messages) {
      if (m.type !== "RECORD") continue;
      const r = m.record as { stream: string; namespace?: string; data: Record<string, unknown> };
      const k = viewKey(r.stream, r.namespace);
      const t = this.tables.get(k) ?? new Map<string, Record<string, unknown>>();
      this.tables.set(k, t);
      if (r.data._deleted === true) t.delete(String(r.data._id));
      else t.set(String(r.data._id), r.data);
    }
  }

  table(stream: string, namespace?: string): Map<string, Record<string, unknown>> {
    return this.tables.get(viewKey(stream, namespace)) ?? new Map();
  }
}

/** The last STATE message per stream, as the platform hands it back (a STREAM array). */
export class StateStore {
  readonly byStream = new Map<string, unknown>();
  apply(messages: readonly Msg[]): void {
    for (const m of messages) {
      if (m.type !== "STATE") continue;
      const s = m.state as { stream: { stream_descriptor: unknown } };
      this.byStream.set(JSON.stringify(s.stream.stream_descriptor), s);
    }
  }
  get value(): unknown[] | undefined {
    return this.byStream.size === 0 ? undefined : [...this.byStream.values()];
  }
}

export function ofType(messages: readonly Msg[], type: string): Msg[] {
  return messages.filter((m) => m.type === type);
}

export function traces(messages: readonly Msg[], kind: string): Record<string, unknown>[] {
  return messages.filter((m) => m.type === "TRACE" && (m.trace as { type: string }).type === kind).map((m) => m.trace as Record<string, unknown>);
}
