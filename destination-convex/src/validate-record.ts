/**
 * Finds records the streaming-import server would refuse, before they are sent. A refused record
 * fails its whole request (and, because requests are committed in chunks, possibly after part of
 * it was written), so catching it here lets the destination report the stream and input line and
 * keep everything before it consistent.
 *
 * The checks follow the server's limits: document size by Convex's size formula (names as the
 * server stores them, `_ab_cdc*` fields dropped, system fields added), nesting, fields per object,
 * array length, field-name rules after renaming, numbers JSON cannot carry, and in dedup mode the
 * presence of every primary-key field.
 */
import { MAX_FIELD_NAME_BYTES, serverFieldName, serverFieldNames } from "./table-names.js";

export const MAX_DOCUMENT_BYTES = 1 << 20;
export const MAX_DOCUMENT_NESTING = 16;
export const MAX_OBJECT_FIELDS = 1024;
export const MAX_ARRAY_LENGTH = 8192;
/**
 * `_id` (name, separator and a 32-character id string, rounded up) and `_creationTime` (a float),
 * which the server adds before checking the document size.
 */
export const SYSTEM_FIELDS_BYTES = 3 + 1 + 40 + (13 + 1 + 9);

export type RecordCheck = { ok: true; convexBytes: number } | { ok: false; reason: string };

export interface CheckOptions {
  /** The stream's primary key in stored field names (dedup mode), or null. */
  primaryKey: readonly (readonly string[])[] | null;
}

class Refusal extends Error {}

/** Checks one record's `data` against what the server accepts. */
export function checkRecord(data: unknown, options: CheckOptions): RecordCheck {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    return { ok: false, reason: `"data" is ${describeType(data)}, but Convex stores only objects` };
  }
  try {
    const size = documentSize(data as Record<string, unknown>);
    if (size > MAX_DOCUMENT_BYTES) {
      return {
        ok: false,
        reason: `the document is ${size} bytes by Convex's size formula, over the ${MAX_DOCUMENT_BYTES}-byte (1 MiB) limit per document`,
      };
    }
    if (options.primaryKey !== null) {
      for (const path of options.primaryKey) {
        if (!hasStoredPath(data as Record<string, unknown>, path)) {
          return { ok: false, reason: `the primary-key field "${path.join(".")}" is missing, so the record cannot be deduplicated` };
        }
      }
    }
    return { ok: true, convexBytes: size };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, reason: err.message };
    throw err;
  }
}

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v === undefined) return "missing";
  return `a ${typeof v}`;
}

/** Size of the stored document: the top-level object without `_ab_cdc*` fields, plus system fields. */
function documentSize(doc: Record<string, unknown>): number {
  const keys = Object.keys(doc);
  if (keys.length > MAX_OBJECT_FIELDS) {
    throw new Refusal(`the record has ${keys.length} top-level fields; Convex allows at most ${MAX_OBJECT_FIELDS} per object`);
  }
  const names = storedNames(keys, "");
  let size = 2 + SYSTEM_FIELDS_BYTES;
  let nesting = 0;
  for (let i = 0; i < keys.length; i++) {
    const name = names[i] as string;
    const value = doc[keys[i] as string];
    // The server drops every top-level `_ab_cdc*` field (after renaming) before storing.
    if (name.startsWith("source_ab_cdc")) {
      checkValue(value, 1, keys[i] as string);
      continue;
    }
    const v = checkValue(value, 1, keys[i] as string);
    size += byteLength(name) + 1 + v.size;
    nesting = Math.max(nesting, v.nesting);
  }
  if (1 + nesting > MAX_DOCUMENT_NESTING) {
    throw new Refusal(`the document is nested ${1 + nesting} levels deep; Convex allows at most ${MAX_DOCUMENT_NESTING}`);
  }
  return size;
}

function storedNames(keys: string[], path: string): string[] {
  const result = serverFieldNames(keys);
  if ("error" in result) throw new Refusal(`${path === "" ? "at the top level" : `in "${path}"`}, ${result.error}`);
  for (const name of result.names) {
    if (byteLength(name) > MAX_FIELD_NAME_BYTES) {
      throw new Refusal(`a field name ${path === "" ? "" : `in "${path}" `}is longer than ${MAX_FIELD_NAME_BYTES} bytes ("${name.slice(0, 40)}…")`);
    }
  }
  return result.names;
}

interface ValueInfo {
  size: number;
  nesting: number;
}

/** Size and nesting of one value; `depth` is the nesting level of its container. */
function checkValue(value: unknown, depth: number, path: string): ValueInfo {
  switch (typeof value) {
    case "string":
      return { size: byteLength(value) + 2, nesting: 0 };
    case "number":
      if (!Number.isFinite(value)) {
        throw new Refusal(`the field "${path}" holds a number too large for a 64-bit float (JSON cannot carry Infinity or NaN)`);
      }
      return { size: 9, nesting: 0 };
    case "bigint":
      // Convex stores every JSON number of this endpoint as a 64-bit float.
      return { size: 9, nesting: 0 };
    case "boolean":
      return { size: 1, nesting: 0 };
    case "object":
      break;
    default:
      return { size: 1, nesting: 0 };
  }
  if (value === null) return { size: 1, nesting: 0 };
  // Stop early on absurd depths rather than recursing without bound.
  if (depth >= MAX_DOCUMENT_NESTING) {
    throw new Refusal(`the field "${path}" is nested more than ${MAX_DOCUMENT_NESTING} levels deep; Convex allows at most ${MAX_DOCUMENT_NESTING}`);
  }
  if (Array.isArray(value)) {
    if (value.length > MAX_ARRAY_LENGTH) {
      throw new Refusal(`the array "${path}" has ${value.length} elements; Convex allows at most ${MAX_ARRAY_LENGTH}`);
    }
    let size = 2;
    let nesting = 0;
    for (let i = 0; i < value.length; i++) {
      const v = checkValue(value[i], depth + 1, `${path}[${i}]`);
      size += v.size;
      if (v.nesting > nesting) nesting = v.nesting;
    }
    return { size, nesting: 1 + nesting };
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length > MAX_OBJECT_FIELDS) {
    throw new Refusal(`the object "${path}" has ${keys.length} fields; Convex allows at most ${MAX_OBJECT_FIELDS} per object`);
  }
  const names = storedNames(keys, path);
  let size = 2;
  let nesting = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const v = checkValue(obj[key], depth + 1, `${path}.${key}`);
    size += byteLength(names[i] as string) + 1 + v.size;
    if (v.nesting > nesting) nesting = v.nesting;
  }
  return { size, nesting: 1 + nesting };
}

/** Whether the stored document has a value (null counts) at a path of stored field names. */
function hasStoredPath(doc: Record<string, unknown>, path: readonly string[]): boolean {
  let node: unknown = doc;
  for (const component of path) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return false;
    const obj = node as Record<string, unknown>;
    if (Object.hasOwn(obj, component) && serverFieldName(component) === component) {
      node = obj[component];
      continue;
    }
    const key = Object.keys(obj).find((k) => serverFieldName(k) === component);
    if (key === undefined) return false;
    node = obj[key];
  }
  return node !== undefined;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, "utf8");
}
