/** Helpers for the packaging tests: a small Dockerfile reader and the repository's package files. */
import { readFileSync } from "node:fs";

export const repoRoot = new URL("../../", import.meta.url);
export const repoPath = (p: string): string => new URL(p, repoRoot).pathname;
export const readRepoFile = (p: string): string => readFileSync(new URL(p, repoRoot), "utf8");
export const readJson = <T = Record<string, unknown>>(p: string): T => JSON.parse(readRepoFile(p)) as T;

export const CONNECTORS = [
  { name: "source-convex", kind: "source", dockerfile: "Dockerfile.source" },
  { name: "destination-convex", kind: "destination", dockerfile: "Dockerfile.destination" },
] as const;
export type Connector = (typeof CONNECTORS)[number];

export interface Instruction {
  op: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped; `ARG`s before the first FROM kept apart. */
export function parseDockerfile(text: string): { globalArgs: Instruction[]; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let pending = "";
  let start = 0;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) return;
    if (pending === "") start = i + 1;
    if (line.startsWith("#")) return;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = (pending + line).trim();
    pending = "";
    const m = /^(\S+)\s*(.*)$/.exec(full);
    if (m) instructions.push({ op: m[1]!.toUpperCase(), args: m[2]!, line: start });
  });
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      stages.push({ from: m?.[1] ?? ins.args, name: m?.[2], instructions: [] });
    } else if (stages.length === 0) {
      globalArgs.push(ins);
    } else {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

/** `KEY=value` pairs of an ARG, ENV or LABEL instruction (double-quoted values unquoted). */
export function keyValues(args: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([A-Za-z0-9_.-]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (const m of args.matchAll(re)) {
    const v = m[2]!;
    out.set(m[1]!, v.startsWith('"') ? (JSON.parse(v) as string) : v);
  }
  return out;
}

/** All values one instruction type sets in a stage, later ones winning. */
export function stageValues(stage: Stage, op: "ARG" | "ENV" | "LABEL"): Map<string, string> {
  const out = new Map<string, string>();
  for (const ins of stage.instructions) if (ins.op === op) for (const [k, v] of keyValues(ins.args)) out.set(k, v);
  return out;
}

export function entrypointOf(stage: Stage): string[] {
  const ins = stage.instructions.filter((i) => i.op === "ENTRYPOINT").at(-1);
  if (!ins) throw new Error("no ENTRYPOINT in the final stage");
  return JSON.parse(ins.args) as string[];
}

/** The connector's package version and the versions the Dockerfile and metadata.yaml carry. */
export function packageVersion(connector: string): string {
  return readJson<{ version: string }>(`${connector}/package.json`).version;
}
