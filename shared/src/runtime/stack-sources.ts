/**
 * A failure's stack trace in terms of our TypeScript sources: the frames that point into a bundled
 * connector (`<connector>/dist/<connector>.mjs`) are mapped through the source map beside it
 * (`<connector>.mjs.map`, see scripts/bundle.mjs) to `shared/src/…`, `<connector>/src/…` or
 * `node_modules/…` with their line and column.
 *
 * Done here, once, for the TRACE error only. Node's own source-map support (`--enable-source-maps`)
 * parses the map as soon as any error's stack is formatted, and libraries format some in ordinary
 * runs: that kept about 30–50 MB of heap for the whole run.
 */
import { readFileSync } from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import { basename, posix } from "node:path";
import { fileURLToPath } from "node:url";

/** A frame's location in an ES module file: its URL, line and column (1-based). */
const MODULE_FRAME = /(file:\/\/[^\s()]+?\.mjs):(\d+):(\d+)/g;

/** Loads the source map of the module at `url`, or null when it has none (or it can't be read). */
export type SourceMapLoader = (url: string) => SourceMap | null;

export function mapStackToSources(stack: string, load: SourceMapLoader = mapBesideModule): string {
  const maps = new Map<string, SourceMap | null>();
  return stack.replace(MODULE_FRAME, (frame: string, url: string, line: string, column: string) => {
    let map = maps.get(url);
    if (map === undefined) {
      map = load(url);
      maps.set(url, map);
    }
    if (map === null) return frame;
    const at = Number(line) - 1;
    const entry = map.findEntry(at, Number(column) - 1) as Partial<{ generatedLine: number; originalSource: string; originalLine: number; originalColumn: number }>;
    // findEntry answers with the nearest mapping before the position, possibly on an earlier line.
    if (entry.generatedLine !== at || entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) {
      return frame;
    }
    return `${sourcePath(url, entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

/**
 * A source named in the map (relative to `<connector>/dist/`) as a path from the repository root,
 * which reads the same wherever the bundle runs (a clone, an image).
 */
function sourcePath(bundleUrl: string, source: string): string {
  const connector = basename(fileURLToPath(bundleUrl), ".mjs");
  const path = posix.normalize(posix.join(connector, "dist", source));
  return path.startsWith("../") ? source : path;
}

function mapBesideModule(url: string): SourceMap | null {
  try {
    const payload = JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, "utf8")) as SourceMapPayload;
    return new SourceMap(payload);
  } catch {
    return null;
  }
}
