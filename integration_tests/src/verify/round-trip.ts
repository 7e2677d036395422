/**
 * What a Convex → Airbyte → Convex round trip should leave in the target, and a comparison of two
 * emulated deployments. The expected changes are the documented ones: values arrive in Convex's
 * `json` export format (int64 as decimal strings, bytes as base64, NaN/Infinity as strings), the
 * import stores every number as float64, and field names starting with `_` (or otherwise invalid)
 * are renamed by the server to `source_<slug>`, at every level.
 */
import { sanitizeFieldName, sanitizeTableName } from "../emulator/names.js";
import type { ConvexEmulator } from "../emulator/emulator.js";
import { bytesToBase64, type ConvexObject, isObject, type Value } from "../emulator/values.js";

/** The target table the destination writes a stream to: `<namespace>_<stream>`, sanitized. */
export function targetTableName(table: string, component: string): string {
  return sanitizeTableName(component ? `${component}_${table}` : table);
}

/** A source value as it is stored in the target after the round trip. */
export function roundTripValue(v: Value): Value {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
    return Object.is(v, -0) ? 0 : v; // JSON has no negative zero once re-serialized
  }
  if (v instanceof Uint8Array) return bytesToBase64(v);
  if (Array.isArray(v)) return v.map(roundTripValue);
  const out: ConvexObject = {};
  for (const [k, child] of Object.entries(v)) out[sanitizeFieldName(k)] = roundTripValue(child);
  return out;
}

/** The user-visible part of a target document: everything but its own `_id` and `_creationTime`. */
function targetView(doc: ConvexObject): ConvexObject {
  const { _id, _creationTime, source_ts, ...rest } = doc;
  return rest;
}

/** The expected target view of a source document (the record's `_ts` is not compared). */
function expectedView(doc: ConvexObject, table: string, component: string): ConvexObject {
  const expected = roundTripValue({ ...doc, _table: table, _component: component, _deleted: false }) as ConvexObject;
  delete expected.source_ts;
  return expected;
}

export interface TableComparison {
  table: string;
  component: string;
  target: string;
  sourceRows: number;
  targetRows: number;
  missing: number;
  extra: number;
  different: number;
  examples: string[];
}

/** Compares every source table with its target table, keyed by the source `_id`. */
export function compareDeployments(source: ConvexEmulator, target: ConvexEmulator, tables = source.tables()): TableComparison[] {
  return tables.map(({ name, component }) => {
    const targetName = targetTableName(name, component);
    const sourceDocs = source.readTable(name, component);
    const targetDocs = target.readTable(targetName);
    const byId = new Map<string, ConvexObject>();
    let extra = 0;
    for (const d of targetDocs) {
      const id = d.source_id;
      if (typeof id !== "string" || byId.has(id)) extra++;
      else byId.set(id, d);
    }
    let missing = 0;
    let different = 0;
    const examples: string[] = [];
    for (const doc of sourceDocs) {
      const got = byId.get(doc._id as string);
      if (!got) {
        missing++;
        if (examples.length < 3) examples.push(`missing ${String(doc._id)}`);
        continue;
      }
      byId.delete(doc._id as string);
      const want = JSON.stringify(canonical(expectedView(doc, name, component)));
      const have = JSON.stringify(canonical(targetView(got)));
      if (want !== have) {
        different++;
        if (examples.length < 3) examples.push(`differs ${String(doc._id)}: want ${want.slice(0, 300)} got ${have.slice(0, 300)}`);
      }
    }
    extra += byId.size;
    for (const id of [...byId.keys()].slice(0, Math.max(0, 3 - examples.length))) examples.push(`extra ${id}`);
    return { table: name, component, target: targetName, sourceRows: sourceDocs.length, targetRows: targetDocs.length, missing, extra, different, examples };
  });
}

/** Sorted keys, so that comparisons do not depend on field order. */
function canonical(v: Value): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical(v[k] as Value);
    return out;
  }
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof Uint8Array) return bytesToBase64(v);
  return v;
}

export function allEqual(results: TableComparison[]): boolean {
  return results.every((r) => r.missing === 0 && r.extra === 0 && r.different === 0);
}
