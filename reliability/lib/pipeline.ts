/**
 * The platform's part: source `read` piped into destination `write`, RECORD and STATE lines only,
 * with the destination's echoed STATE messages as the committed checkpoint. A pipeline keeps the
 * committed states across attempts, as Airbyte does between the attempts of a job.
 */
import { once } from "node:events";
import { createInterface } from "node:readline";
import { stringifyExact } from "@convex-airbyte/shared";
import { type Message, parseLine, spawnConnector, traceErrors } from "./proc.js";
import { type CaseContext, check } from "./runner.js";
import type { World } from "./world.js";

export interface AttemptOptions {
  /** SIGKILL the source once this many lines were forwarded. */
  killSourceAfter?: number;
  /** SIGKILL the destination once this many lines were forwarded (the source is stopped too). */
  killDestAfter?: number;
  timeoutMs?: number;
  sourceEnv?: Record<string, string | undefined>;
  destEnv?: Record<string, string | undefined>;
  /** Called for each source RECORD/STATE line before it is forwarded (live writes). */
  onForward?: (msg: Message, n: number) => void;
  catalog?: Record<string, unknown>;
  sourceConfig?: Record<string, unknown>;
  destConfig?: Record<string, unknown>;
}

export interface Attempt {
  sourceCode: number | null;
  sourceSignal: NodeJS.Signals | null;
  destCode: number | null;
  destSignal: NodeJS.Signals | null;
  sourceErrors: Record<string, unknown>[];
  destErrors: Record<string, unknown>[];
  forwarded: number;
  records: number;
  statesEchoed: number;
  invalid: string[];
  /** WARN log messages of both connectors. */
  warnings: string[];
  timedOut: boolean;
  sourceStderr: string;
  destStderr: string;
  ok: boolean;
}

function stateKey(state: Record<string, unknown>): string {
  const stream = state.stream as { stream_descriptor?: { name?: string; namespace?: string } } | undefined;
  const d = stream?.stream_descriptor;
  return d ? `${d.namespace ?? ""}.${d.name ?? ""}` : `global:${String(state.type)}`;
}

export class Pipeline {
  /** The latest state the destination committed, per stream. */
  readonly committed = new Map<string, Record<string, unknown>>();
  readonly attempts: Attempt[] = [];

  constructor(
    readonly ctx: CaseContext,
    readonly world: World,
  ) {}

  stateInput(): Record<string, unknown>[] | undefined {
    return this.committed.size === 0 ? undefined : [...this.committed.values()];
  }

  async run(opts: AttemptOptions = {}): Promise<Attempt> {
    const { ctx, world } = this;
    const catalog = opts.catalog ?? world.catalog();
    const srcArgs = ["read", "--config", ctx.scratch.file("source.json", world.sourceConfig(opts.sourceConfig)), "--catalog", ctx.scratch.file("catalog.json", catalog)];
    const state = this.stateInput();
    if (state !== undefined) srcArgs.push("--state", ctx.scratch.file("state.json", state));
    const dstArgs = ["write", "--config", ctx.scratch.file("dest.json", world.destConfig(opts.destConfig)), "--catalog", ctx.scratch.file("catalog.json", catalog)];
    const source = spawnConnector(ctx, "source", srcArgs, opts.sourceEnv);
    const dest = spawnConnector(ctx, "destination", dstArgs, opts.destEnv);
    const attempt: Attempt = {
      sourceCode: null,
      sourceSignal: null,
      destCode: null,
      destSignal: null,
      sourceErrors: [],
      destErrors: [],
      forwarded: 0,
      records: 0,
      statesEchoed: 0,
      invalid: [],
      warnings: [],
      timedOut: false,
      sourceStderr: "",
      destStderr: "",
      ok: false,
    };
    const srcErr: Buffer[] = [];
    const dstErr: Buffer[] = [];
    source.stderr?.on("data", (b: Buffer) => srcErr.push(b));
    dest.stderr?.on("data", (b: Buffer) => dstErr.push(b));
    const sourceClosed = new Promise<void>((r) =>
      source.on("close", (c, s) => {
        attempt.sourceCode = c;
        attempt.sourceSignal = s;
        r();
      }),
    );
    const destClosed = new Promise<void>((r) =>
      dest.on("close", (c, s) => {
        attempt.destCode = c;
        attempt.destSignal = s;
        r();
      }),
    );
    source.stdin?.end();
    const sourceMessages: Message[] = [];
    const destMessages: Message[] = [];

    const pump = (async () => {
      const rl = createInterface({ input: source.stdout!, crlfDelay: Number.POSITIVE_INFINITY });
      let stopped = false;
      for await (const line of rl) {
        if (line.length === 0) continue;
        ctx.scan(line, "source stdout");
        if (stopped) continue;
        const msg = parseLine(line);
        if (typeof msg === "string") {
          attempt.invalid.push(`source: ${msg}`);
          continue;
        }
        sourceMessages.push(msg.type === "RECORD" ? { type: "RECORD" } : msg);
        if (msg.type === "LOG" && (msg.log as { level?: string }).level === "WARN") attempt.warnings.push(`source: ${String((msg.log as { message?: string }).message)}`);
        if (msg.type !== "RECORD" && msg.type !== "STATE") continue;
        opts.onForward?.(msg, attempt.forwarded);
        if (dest.exitCode !== null || dest.signalCode !== null) continue;
        if (!dest.stdin!.write(`${line}\n`)) await Promise.race([once(dest.stdin!, "drain"), destClosed]);
        attempt.forwarded++;
        if (msg.type === "RECORD") attempt.records++;
        if (opts.killSourceAfter !== undefined && attempt.forwarded >= opts.killSourceAfter) {
          source.kill("SIGKILL");
          stopped = true;
        }
        if (opts.killDestAfter !== undefined && attempt.forwarded >= opts.killDestAfter) {
          dest.kill("SIGKILL");
          source.kill("SIGKILL");
          stopped = true;
        }
      }
      dest.stdin!.end();
    })();

    const drain = (async () => {
      const rl = createInterface({ input: dest.stdout!, crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of rl) {
        if (line.length === 0) continue;
        ctx.scan(line, "destination stdout");
        const msg = parseLine(line);
        if (typeof msg === "string") {
          attempt.invalid.push(`destination: ${msg}`);
          continue;
        }
        destMessages.push(msg);
        if (msg.type === "LOG" && (msg.log as { level?: string }).level === "WARN") attempt.warnings.push(`destination: ${String((msg.log as { message?: string }).message)}`);
        if (msg.type === "STATE") {
          attempt.statesEchoed++;
          const st = msg.state as Record<string, unknown>;
          this.committed.set(stateKey(st), st);
        }
      }
    })();

    const timeoutMs = opts.timeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const all = Promise.all([pump, drain, sourceClosed, destClosed]).then(() => true);
    const timedOut = await Promise.race([all, new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
    clearTimeout(timer);
    if (!timedOut) {
      attempt.timedOut = true;
      source.kill("SIGKILL");
      dest.kill("SIGKILL");
      ctx.hang(`sync attempt ${this.attempts.length + 1} did not finish within ${timeoutMs} ms (source exit ${attempt.sourceCode}, destination exit ${attempt.destCode})`);
      await Promise.allSettled([sourceClosed, destClosed]);
    }
    attempt.sourceStderr = Buffer.concat(srcErr).toString("utf8");
    attempt.destStderr = Buffer.concat(dstErr).toString("utf8");
    ctx.scan(attempt.sourceStderr, "source stderr");
    ctx.scan(attempt.destStderr, "destination stderr");
    attempt.sourceErrors = traceErrors(sourceMessages);
    attempt.destErrors = traceErrors(destMessages);
    attempt.ok = attempt.sourceCode === 0 && attempt.destCode === 0 && attempt.sourceErrors.length === 0 && attempt.destErrors.length === 0 && !attempt.timedOut;
    this.attempts.push(attempt);
    if (attempt.invalid.length > 0) throw new Error(`protocol violation: ${attempt.invalid.slice(0, 3).join(" | ")}`);
    return attempt;
  }

  /** Runs attempts (without faults) until one succeeds; at most `max`. */
  async resumeUntilDone(max = 3, opts: AttemptOptions = {}): Promise<Attempt> {
    let last: Attempt | undefined;
    for (let i = 0; i < max; i++) {
      last = await this.run(opts);
      if (last.ok) return last;
    }
    check(false, `resumed sync did not complete in ${max} attempts: ${describeAttempt(last as Attempt)}`);
    return last as Attempt;
  }
}

export function describeAttempt(a: Attempt): string {
  const errs = [...a.sourceErrors.map((e) => `source ${String(e.failure_type)}: ${String(e.message).slice(0, 300)}`), ...a.destErrors.map((e) => `destination ${String(e.failure_type)}: ${String(e.message).slice(0, 300)}`)];
  const tail = (s: string) => (s.trim() === "" ? "" : ` stderr: ${s.trim().slice(-300)}`);
  return `source exit ${a.sourceCode ?? a.sourceSignal}, destination exit ${a.destCode ?? a.destSignal}, ${a.records} records, ${a.statesEchoed} states echoed${errs.length ? `; ${errs.join("; ")}` : ""}${a.ok ? "" : tail(a.sourceStderr) + tail(a.destStderr)}`;
}

export function stateJson(p: Pipeline): string {
  return stringifyExact(p.stateInput() ?? []);
}
