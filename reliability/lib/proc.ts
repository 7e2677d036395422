/**
 * Running the connector binaries: one-shot commands with a deadline, output capture, protocol
 * validation of every stdout line and a key-leak scan of every byte of stdout and stderr.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseExact, stringifyExact } from "@convex-airbyte/shared";
import { assertValidMessageLine } from "../../shared/test/support/protocol.js";
import type { CaseContext } from "./runner.js";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const BINS = {
  source: join(ROOT, "source-convex/bin/source-convex.js"),
  destination: join(ROOT, "destination-convex/bin/destination-convex.js"),
} as const;
export type ConnectorKind = keyof typeof BINS;

export type Message = Record<string, unknown>;

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  messages: Message[];
  /** stdout lines that were not valid Airbyte messages, with the reason. */
  invalid: string[];
  timedOut: boolean;
}

/** Environment for connector processes: short timeouts and retry budgets so that faults resolve fast. */
export function connectorEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Never inherit a TLS switch from the caller; cases that test it set it explicitly.
  delete env.NODE_TLS_REJECT_UNAUTHORIZED;
  Object.assign(env, TEST_KNOBS, extra);
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
}

/**
 * The knobs the suite asks the connectors to honour (see docs/reliability.md). Proposed names; a
 * connector that ignores them still works, only slower.
 */
export const TEST_KNOBS: Record<string, string> = {
  CONVEX_HTTP_CONNECT_TIMEOUT_MS: "2000",
  CONVEX_HTTP_HEADERS_TIMEOUT_MS: "2000",
  CONVEX_HTTP_BODY_TIMEOUT_MS: "2000",
  CONVEX_RETRY_MAX_ATTEMPTS: "3",
  CONVEX_RETRY_BASE_DELAY_MS: "50",
  CONVEX_RETRY_MAX_DELAY_MS: "200",
  CONVEX_RETRY_MAX_TOTAL_MS: "10000",
  CONVEX_RETRY_AFTER_CAP_MS: "1500",
  CONVEX_INDEX_POLL_INTERVAL_MS: "50",
};

/** A per-case scratch directory for config, catalog and state files. */
export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), "convex-reliability-"));
  private n = 0;
  file(name: string, content: unknown): string {
    const path = join(this.dir, `${this.n++}-${name}`);
    writeFileSync(path, typeof content === "string" || Buffer.isBuffer(content) ? content : stringifyExact(content));
    return path;
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Parses stdout into messages (int64-exact) and collects lines that break the protocol. */
export function parseLines(stdout: string): { messages: Message[]; invalid: string[] } {
  const messages: Message[] = [];
  const invalid: string[] = [];
  for (const line of stdout.split("\n")) {
    if (line.length === 0) continue;
    const m = parseLine(line);
    if (typeof m === "string") invalid.push(m);
    else messages.push(m);
  }
  return { messages, invalid };
}

export function parseLine(line: string): Message | string {
  try {
    assertValidMessageLine(line);
    return parseExact(line) as Message;
  } catch (err) {
    return (err as Error).message.slice(0, 300);
  }
}

export interface RunOptions {
  stdin?: string | Buffer | undefined;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** Spawns a connector, registers it with the case (killed at case end) and scans its output. */
export function spawnConnector(ctx: CaseContext, kind: ConnectorKind, args: string[], env?: Record<string, string | undefined>): ChildProcess {
  const child = spawn(process.execPath, [BINS[kind], ...args], { env: connectorEnv(env), stdio: ["pipe", "pipe", "pipe"] });
  ctx.track(child);
  child.stdin?.on("error", () => undefined);
  return child;
}

/** Runs one connector command to completion (or its deadline) and returns everything it said. */
export async function runConnector(ctx: CaseContext, kind: ConnectorKind, args: string[], opts: RunOptions = {}): Promise<ProcResult> {
  const child = spawnConnector(ctx, kind, args, opts.env);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on("data", (b: Buffer) => out.push(b));
  child.stderr?.on("data", (b: Buffer) => err.push(b));
  if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
  else child.stdin?.end();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, opts.timeoutMs ?? 30_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on("close", (c, s) => res([c, s])));
  clearTimeout(timer);
  const stdout = Buffer.concat(out).toString("utf8");
  const stderr = Buffer.concat(err).toString("utf8");
  ctx.scan(stdout, `${kind} ${args[0]} stdout`);
  ctx.scan(stderr, `${kind} ${args[0]} stderr`);
  if (timedOut) ctx.hang(`${kind} ${args.join(" ")} did not finish within ${opts.timeoutMs ?? 30_000} ms`);
  return { code, signal, stdout, stderr, ...parseLines(stdout), timedOut };
}

/** The TRACE ERROR payloads of a run. */
export function traceErrors(messages: Message[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const m of messages) {
    const t = m.trace as Record<string, unknown> | undefined;
    if (m.type === "TRACE" && t?.type === "ERROR") out.push(t.error as Record<string, unknown>);
  }
  return out;
}

export function connectionStatus(messages: Message[]): { status: string; message?: string } | undefined {
  const m = messages.find((x) => x.type === "CONNECTION_STATUS");
  return m?.connectionStatus as { status: string; message?: string } | undefined;
}

export function logs(messages: Message[], level?: string): string[] {
  return messages
    .filter((m) => m.type === "LOG" && (level === undefined || (m.log as { level: string }).level === level))
    .map((m) => String((m.log as { message: string }).message));
}
