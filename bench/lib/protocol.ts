/** Connector inputs the bench prepares: config files, discover, configured catalogs, import batches. */
import { execFile } from "node:child_process";
import { createReadStream, createWriteStream, writeFileSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { request } from "undici";
import { BIN } from "./paths.js";

const run = promisify(execFile);

export interface DiscoveredStream {
  name: string;
  /** The Convex component of the table, when not the root. */
  namespace?: string;
  json_schema: Record<string, unknown>;
  supported_sync_modes?: string[];
  [key: string]: unknown;
}

export function writeConfig(dir: string, name: string, url: string, adminKey: string): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ deployment_url: url, access_key: adminKey }));
  return file;
}

/** Runs `source-convex discover` and returns the catalog's streams. */
export async function discover(configFile: string): Promise<DiscoveredStream[]> {
  const { stdout } = await run(process.execPath, [BIN.source, "discover", "--config", configFile], { maxBuffer: 64 << 20 });
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const msg = JSON.parse(line) as { type?: string; catalog?: { streams: DiscoveredStream[] } };
    if (msg.type === "CATALOG" && msg.catalog !== undefined) return msg.catalog.streams;
  }
  throw new Error(`source-convex discover printed no CATALOG: ${stdout.slice(0, 2000)}`);
}

/** Full refresh of every stream. */
export function sourceCatalog(streams: DiscoveredStream[]): unknown {
  return {
    streams: streams.map((stream) => ({ stream, sync_mode: "full_refresh", destination_sync_mode: "overwrite" })),
  };
}

/** Dedup mode on `_id` for every stream. */
export function destinationCatalog(streams: DiscoveredStream[]): unknown {
  return {
    streams: streams.map((stream) => ({
      stream,
      sync_mode: "incremental",
      cursor_field: ["_ts"],
      destination_sync_mode: "append_dedup",
      primary_key: [["_id"]],
      generation_id: 0,
      minimum_generation_id: 0,
      sync_id: 0,
    })),
  };
}

/** The field name the streaming-import server stores for a `_`-prefixed name like `_id` (`source_id`). */
export function storedFieldName(name: string): string {
  return name.startsWith("_") ? `source_${name.replace(/^_+/, "").toLowerCase()}` : name;
}

/** The destination's table for a stream: `<namespace>_<stream>` with a namespace, else `<stream>`. */
export function destinationTable(name: string, namespace?: string | null): string {
  return namespace === undefined || namespace === null ? name : `${namespace}_${name}`;
}

/** The primary-key indexes the dedup mode needs, as the server stores the key fields. */
export function dedupIndexes(streams: DiscoveredStream[]): Record<string, string[][]> {
  const indexes: Record<string, string[][]> = {};
  for (const s of streams) indexes[destinationTable(s.name, s.namespace)] = [[storedFieldName("_id")]];
  return indexes;
}

export const BATCH_MAX_BYTES = 4 << 20;
export const BATCH_MAX_RECORDS = 8192;

/**
 * Turns a records file (RECORD and STATE lines) into pre-serialized import_airbyte_records bodies,
 * one per line. Returns the number of batches and records.
 */
export async function buildImportBatches(
  recordsFile: string,
  batchesFile: string,
  streams: DiscoveredStream[],
): Promise<{ batches: number; records: number }> {
  const schemas = new Map(streams.map((s) => [destinationTable(s.name, s.namespace), s.json_schema]));
  const out = createWriteStream(batchesFile, { highWaterMark: 1 << 22 });
  let messages: string[] = [];
  let tables = new Set<string>();
  let bytes = 0;
  let batches = 0;
  let records = 0;
  const flush = async () => {
    if (messages.length === 0) return;
    const meta: Record<string, unknown> = {};
    for (const t of tables) meta[t] = { primaryKey: [[storedFieldName("_id")]], jsonSchema: schemas.get(t) ?? {} };
    const body = `{"tables":${JSON.stringify(meta)},"messages":[${messages.join(",")}]}\n`;
    if (!out.write(body)) await once(out, "drain");
    batches++;
    messages = [];
    tables = new Set();
    bytes = 0;
  };
  for await (const line of createInterface({ input: createReadStream(recordsFile), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (!line.startsWith('{"type":"RECORD"') && !line.includes('"RECORD"')) continue;
    const msg = JSON.parse(line) as { type: string; record?: { stream: string; namespace?: string; data: unknown } };
    if (msg.type !== "RECORD" || msg.record === undefined) continue;
    const table = destinationTable(msg.record.stream, msg.record.namespace);
    const text = JSON.stringify({ tableName: table, data: msg.record.data });
    if (bytes + text.length > BATCH_MAX_BYTES || messages.length >= BATCH_MAX_RECORDS) await flush();
    messages.push(text);
    tables.add(table);
    bytes += text.length + 1;
    records++;
  }
  await flush();
  out.end();
  await once(out, "finish");
  return { batches, records };
}

/** Counts the documents of every table of a deployment through list_snapshot (untimed check). */
export async function countDocuments(url: string, adminKey: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const headers = { authorization: `Convex ${adminKey}` };
  let cursor: string | undefined;
  let snapshot: string | undefined;
  for (;;) {
    const q = new URLSearchParams({ format: "json" });
    if (cursor !== undefined) q.set("cursor", cursor);
    if (snapshot !== undefined) q.set("snapshot", snapshot);
    const res = await request(`${url}/api/list_snapshot?${q}`, { headers });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`list_snapshot answered ${res.statusCode}: ${text.slice(0, 500)}`);
    const page = JSON.parse(text) as { values: { _table: string }[]; cursor: string | null; hasMore: boolean };
    snapshot ??= /"snapshot":(\d+)/.exec(text)?.[1];
    for (const v of page.values) counts[v._table] = (counts[v._table] ?? 0) + 1;
    if (!page.hasMore || page.cursor === null) return counts;
    cursor = page.cursor;
  }
}

export function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
