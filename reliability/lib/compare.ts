/**
 * Target versus source. The destination stores each record with the server's renames: `_id`
 * becomes `source_id`, every other `_` field `source_…`, and the CDC columns are dropped. So a
 * target row matches a source document when `source_id` equals `_id` and the user fields are equal.
 */
import type { World } from "./world.js";

type Row = Record<string, unknown>;

export interface Comparison {
  /** Source documents with no matching target row (or whose newest row is stale). */
  lost: number;
  /** Target rows beyond one per (document, version). */
  duplicates: number;
  /** Target rows of documents that no longer exist in the source, still live in the target. */
  extra: number;
  /** Tombstone rows (`source_deleted: true`) kept in the target. */
  tombstones: number;
  details: string[];
}

function userFields(row: Row, target: boolean): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (target ? k.startsWith("source_") || k.startsWith("_") : k.startsWith("_")) continue;
    out[k] = v;
  }
  return out;
}

function canon(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString("base64")}`;
  if (Array.isArray(v)) return `[${v.map(canon).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canon((v as Row)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "undefined";
}

export function destTableName(stream: string): string {
  return stream;
}

/** Compares every table of the world; `mode` decides whether history rows are allowed. */
export function compareWorld(world: World): Comparison {
  const result: Comparison = { lost: 0, duplicates: 0, extra: 0, tombstones: 0, details: [] };
  for (const table of world.tables) {
    const src = world.source.readTable(table) as Row[];
    const dst = world.dest.readTable(destTableName(table)) as Row[];
    const byId = new Map<string, Row[]>();
    for (const row of dst) {
      const id = String(row.source_id);
      const list = byId.get(id) ?? [];
      byId.set(id, list);
      list.push(row);
    }
    const srcIds = new Set<string>();
    for (const doc of src) {
      const id = String(doc._id);
      srcIds.add(id);
      const rows = byId.get(id) ?? [];
      if (rows.length === 0) {
        result.lost++;
        if (result.details.length < 8) result.details.push(`${table}: document ${id} is missing from the target`);
        continue;
      }
      const live = rows.filter((r) => r.source_deleted !== true);
      // int64 timestamps stored as float64 may tie; any row of the newest timestamp may match.
      const top = Math.max(...rows.map((r) => Number(r.source_ts)));
      const candidates = live.filter((r) => Number(r.source_ts) === top);
      const want = canon(userFields(doc, false));
      const newest = candidates.find((r) => canon(userFields(r, true)) === want) ?? candidates[0];
      if (newest === undefined || canon(userFields(newest, true)) !== want) {
        result.lost++;
        if (result.details.length < 8) {
          result.details.push(`${table}: document ${id} differs: source ${canon(userFields(doc, false)).slice(0, 200)} target ${newest === undefined ? "(only tombstones)" : canon(userFields(newest, true)).slice(0, 200)}`);
        }
      }
    }
    for (const [id, rows] of byId) {
      // Several rows of one version of a document are duplicates; history rows (append) are not.
      const versions = new Set(rows.map((r) => canon({ ...r, _id: undefined, _creationTime: undefined })));
      result.duplicates += rows.length - versions.size;
      result.tombstones += rows.filter((r) => r.source_deleted === true).length;
      if (!srcIds.has(id)) {
        const liveRows = rows.filter((r) => r.source_deleted !== true);
        if (world.destMode === "append_dedup" && liveRows.length > 0) {
          result.extra += liveRows.length;
          if (result.details.length < 8) result.details.push(`${table}: document ${id} was deleted in the source but is live in the target`);
        }
      } else if (world.destMode === "append_dedup" && rows.length > 1) {
        result.extra += rows.length - 1;
        if (result.details.length < 8) result.details.push(`${table}: document ${id} has ${rows.length} rows in a deduplicated table`);
      }
    }
    if (world.destMode === "append" && world.syncMode === "incremental") {
      // In append mode a deleted document's newest row must be its tombstone.
      for (const [id, rows] of byId) {
        if (srcIds.has(id)) continue;
        const newest = [...rows].sort((a, b) => Number(b.source_ts) - Number(a.source_ts))[0];
        if (newest !== undefined && newest.source_deleted !== true) {
          result.extra++;
          if (result.details.length < 8) result.details.push(`${table}: deleted document ${id} has no tombstone as its newest row`);
        }
      }
    }
  }
  return result;
}
