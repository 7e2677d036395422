/**
 * The case runner: every case gets a context (seeded random numbers, a scratch directory, the
 * child processes and servers it started, the key-leak scanner) and a hard deadline. A case that
 * passes its deadline is a hang and fails; everything it started is killed or closed.
 */
import type { ChildProcess } from "node:child_process";
import { Scratch } from "./proc.js";
import { findLeaks, redactAll } from "./scanner.js";

export type Category = "faults" | "crashes" | "live-writes" | "bad-input" | "security";

export interface CaseSpec {
  id: string;
  category: Category;
  /** Part of the seeded short form that `npm test` runs. */
  short: boolean;
  timeoutMs: number;
  run(ctx: CaseContext): Promise<void>;
}

export interface CaseResult {
  id: string;
  category: Category;
  passed: boolean;
  reason?: string;
  ms: number;
  rowsLost: number;
  duplicates: number;
  keyLeaks: number;
  hangs: number;
  /** Free-form facts the case wants in the report (e.g. the observed behaviour). */
  notes: string[];
}

/** A seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hashSeed(text: string, seed: number): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export class CaseFailure extends Error {}

export class CaseContext {
  readonly random: () => number;
  readonly scratch = new Scratch();
  /** Every secret in play; any appearance in any output is a leak. */
  readonly secrets = new Set<string>();
  rowsLost = 0;
  duplicates = 0;
  keyLeaks = 0;
  hangs = 0;
  readonly notes: string[] = [];
  readonly leakSites: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  readonly hangReasons: string[] = [];

  constructor(
    readonly id: string,
    readonly seed: number,
  ) {
    this.random = rng(hashSeed(id, seed));
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.random() * (hi - lo + 1));
  }

  track(child: ChildProcess): void {
    this.children.add(child);
    child.on("close", () => this.children.delete(child));
  }

  onCleanup(fn: () => Promise<void> | void): void {
    this.cleanups.push(fn);
  }

  /** Scans a piece of output for every secret in play. */
  scan(text: string, where: string): void {
    const leaks = findLeaks(text, [...this.secrets]);
    if (leaks.length > 0) {
      this.keyLeaks += leaks.length;
      this.leakSites.push(`${where}: ${leaks.join(", ")}`);
    }
  }

  hang(why: string): void {
    this.hangs++;
    this.hangReasons.push(why);
  }

  secretsRedact(text: string): string {
    return redactAll(text, this.secrets);
  }

  note(text: string): void {
    this.notes.push(text);
  }

  async close(): Promise<void> {
    for (const c of this.children) c.kill("SIGKILL");
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // best effort
      }
    }
    this.scratch.remove();
  }
}

export function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new CaseFailure(message);
}

export async function runCase(spec: CaseSpec, seed: number): Promise<CaseResult> {
  const ctx = new CaseContext(spec.id, seed);
  const started = Date.now();
  let passed = false;
  let reason: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CaseFailure(`HANG: case did not finish within ${spec.timeoutMs} ms`)), spec.timeoutMs);
    });
    await Promise.race([spec.run(ctx), deadline]);
    passed = true;
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
    if (reason.startsWith("HANG:")) ctx.hang(reason);
  } finally {
    clearTimeout(timer);
    await ctx.close();
  }
  if (ctx.hangs > 0 && passed) {
    passed = false;
    reason = `hang: ${ctx.hangReasons.join("; ")}`;
  }
  if (ctx.keyLeaks > 0) {
    passed = false;
    reason = `${reason ? `${reason}; ` : ""}deploy key leaked: ${ctx.leakSites.join("; ")}`;
  }
  if (ctx.rowsLost > 0 && passed) {
    passed = false;
    reason = `${ctx.rowsLost} rows lost`;
  }
  return {
    id: spec.id,
    category: spec.category,
    passed,
    ...(reason === undefined ? {} : { reason: ctx.secretsRedact(reason) }),
    ms: Date.now() - started,
    rowsLost: ctx.rowsLost,
    duplicates: ctx.duplicates,
    keyLeaks: ctx.keyLeaks,
    hangs: ctx.hangs,
    notes: ctx.notes,
  };
}

export interface Report {
  cases: number;
  passed: number;
  rowsLost: number;
  duplicates: number;
  keyLeaks: number;
  hangs: number;
  byCategory: Record<string, { cases: number; passed: number; rowsLost: number; duplicates: number; keyLeaks: number; hangs: number }>;
  seed: number;
  mode: "full" | "short";
  audit: string;
  failures: { id: string; reason: string }[];
  results: CaseResult[];
}

export function summarize(results: CaseResult[], seed: number, mode: "full" | "short", audit: string): Report {
  const byCategory: Report["byCategory"] = {};
  const sum = { cases: 0, passed: 0, rowsLost: 0, duplicates: 0, keyLeaks: 0, hangs: 0 };
  for (const r of results) {
    const c = byCategory[r.category] ?? { cases: 0, passed: 0, rowsLost: 0, duplicates: 0, keyLeaks: 0, hangs: 0 };
    byCategory[r.category] = c;
    for (const t of [c, sum]) {
      t.cases++;
      if (r.passed) t.passed++;
      t.rowsLost += r.rowsLost;
      t.duplicates += r.duplicates;
      t.keyLeaks += r.keyLeaks;
      t.hangs += r.hangs;
    }
  }
  return {
    ...sum,
    byCategory,
    seed,
    mode,
    audit,
    failures: results.filter((r) => !r.passed).map((r) => ({ id: r.id, reason: r.reason ?? "failed" })),
    results,
  };
}

/** Runs cases with bounded parallelism, in a stable order of results. */
export async function runAll(specs: CaseSpec[], seed: number, parallel: number, onDone?: (r: CaseResult) => void): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(specs.length);
  let next = 0;
  const worker = async () => {
    while (next < specs.length) {
      const i = next++;
      const r = await runCase(specs[i] as CaseSpec, seed);
      results[i] = r;
      onDone?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  return results;
}
