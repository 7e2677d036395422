/** Summarizes V8 .cpuprofile files (from `node --cpu-prof`): self time by function and by file. */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  where: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: HotSpot[];
  files: HotSpot[];
}

function shortUrl(url: string): string {
  if (url === "") return "(native)";
  const i = url.indexOf("node_modules/");
  if (i >= 0) return url.slice(i + "node_modules/".length);
  for (const ws of ["shared/", "source-convex/", "destination-convex/", "bench/"]) {
    const j = url.lastIndexOf(`/${ws}`);
    if (j >= 0) return url.slice(j + 1);
  }
  return url.startsWith("node:") ? url : basename(url);
}

/** Aggregates every .cpuprofile in a directory. */
export function summarizeProfiles(dir: string, top = 20): ProfileSummary {
  const byFn = new Map<string, { name: string; where: string; us: number }>();
  const byFile = new Map<string, number>();
  let totalUs = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const prof = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
    const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
    prof.samples.forEach((id, i) => {
      const us = prof.timeDeltas[i] ?? 0;
      const node = nodes.get(id);
      if (node === undefined) return;
      totalUs += us;
      const cf = node.callFrame;
      const where = cf.url === "" ? "" : `${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
      const name = cf.functionName === "" ? "(anonymous)" : cf.functionName;
      const key = `${name}@${where}`;
      const e = byFn.get(key) ?? { name, where, us: 0 };
      e.us += us;
      byFn.set(key, e);
      const fileKey = cf.url === "" ? name : shortUrl(cf.url);
      byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
    });
  }
  const pct = (us: number) => (totalUs === 0 ? 0 : Math.round((1000 * us) / totalUs) / 10);
  const functions = [...byFn.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, selfMs: Math.round(e.us / 1000), percent: pct(e.us) }));
  const files = [...byFile.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, us]) => ({ name: where, where, selfMs: Math.round(us / 1000), percent: pct(us) }));
  return { totalMs: Math.round(totalUs / 1000), functions, files };
}

export function profileMarkdown(title: string, s: ProfileSummary): string {
  const lines = [`## ${title} (${(s.totalMs / 1000).toFixed(1)} s sampled)`, "", "| self % | self ms | function | where |", "| ---: | ---: | --- | --- |"];
  for (const f of s.functions) lines.push(`| ${f.percent.toFixed(1)} | ${f.selfMs} | \`${f.name}\` | ${f.where} |`);
  lines.push("", "| self % | self ms | file |", "| ---: | ---: | --- |");
  for (const f of s.files.slice(0, 12)) lines.push(`| ${f.percent.toFixed(1)} | ${f.selfMs} | ${f.name} |`);
  lines.push("");
  return lines.join("\n");
}
