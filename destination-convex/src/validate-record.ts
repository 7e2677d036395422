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

export type RecordCheck =
  | {
      ok: true;
      convexBytes: number;
      /**
       * Dedup mode: the record's primary key as a text that is the same whenever the server sees
       * the same key (see `keyText`), or null when it cannot be vouched for. Absent in append mode.
       */
      key?: string | null;
      /** Dedup mode: the primary-key values, in the order of the key's paths. */
      keyValues?: unknown[];
    }
  | { ok: false; reason: string };

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
      const values: unknown[] = [];
      for (const path of options.primaryKey) {
        const value = storedValue(data, path);
        if (value === MISSING) {
          return { ok: false, reason: `the primary-key field "${path.join(".")}" is missing, so the record cannot be deduplicated` };
        }
        values.push(value);
      }
      return { ok: true, convexBytes: size, key: keyText(values), keyValues: values };
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
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const name = names[i] as string;
    const v = checkValue(doc[key], 1, key);
    // The server drops every top-level `_ab_cdc*` field (after renaming) before storing.
    if (name.startsWith("source_ab_cdc")) continue;
    // Stored names are ASCII (kept names are printable ASCII, renamed ones a slug), so their
    // UTF-8 size is their length.
    size += name.length + 1 + v;
  }
  return size;
}

interface RenamedKeys {
  keys: string[];
  result: { names: string[] } | { error: string };
}

/**
 * Stored names of one object's keys, by reference equal to `keys` when the server keeps every
 * name (the common case for nested objects). Key lists with renamed names (every top-level Convex
 * document has `_id`) are remembered, because the same few lists repeat across records.
 */
function storedNames(keys: string[], path: string): readonly string[] {
  let renamed = false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (serverFieldName(key) !== key) {
      renamed = true;
      break;
    }
  }
  if (!renamed) return keys;
  const id = keys.join("\u0000");
  let entry = renamedKeysCache.get(id);
  if (entry === undefined || !sameKeys(entry.keys, keys)) {
    entry = { keys, result: serverFieldNames(keys) };
    if (id.length <= MAX_CACHED_KEY_LIST_LENGTH) {
      if (renamedKeysCache.size >= MAX_CACHED_KEY_LISTS) renamedKeysCache.clear();
      renamedKeysCache.set(id, entry);
    }
  }
  const result = entry.result;
  if ("error" in result) throw new Refusal(`${path === "" ? "at the top level" : `in "${path}"`}, ${result.error}`);
  for (const name of result.names) {
    if (name.length > MAX_FIELD_NAME_BYTES) {
      throw new Refusal(`a field name ${path === "" ? "" : `in "${path}" `}is longer than ${MAX_FIELD_NAME_BYTES} bytes ("${name.slice(0, 40)}…")`);
    }
  }
  return result.names;
}

const renamedKeysCache = new Map<string, RenamedKeys>();
const MAX_CACHED_KEY_LISTS = 2_000;
const MAX_CACHED_KEY_LIST_LENGTH = 4_096;

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Size of a non-container value by Convex's formula, or -1 for a number JSON cannot carry. */
function primitiveSize(value: unknown): number {
  switch (typeof value) {
    case "string":
      return Buffer.byteLength(value, "utf8") + 2;
    case "number":
      return value - value === 0 ? 9 : -1;
    case "bigint":
      // Convex stores every JSON number of this endpoint as a 64-bit float.
      return 9;
    default:
      // null, booleans (and `undefined`, which JSON cannot produce)
      return 1;
  }
}

function notFinite(path: string): Refusal {
  return new Refusal(`the field "${path}" holds a number too large for a 64-bit float (JSON cannot carry Infinity or NaN)`);
}

/** Size of one value by Convex's formula; `depth` is the nesting level of its container. */
function checkValue(value: unknown, depth: number, path: string): number {
  if (value === null || typeof value !== "object") {
    const size = primitiveSize(value);
    if (size < 0) throw notFinite(path);
    return size;
  }
  // Nesting is refused on the way down, rather than after recursing without bound.
  if (depth >= MAX_DOCUMENT_NESTING) {
    throw new Refusal(`the field "${path}" is nested more than ${MAX_DOCUMENT_NESTING} levels deep; Convex allows at most ${MAX_DOCUMENT_NESTING}`);
  }
  if (Array.isArray(value)) {
    if (value.length > MAX_ARRAY_LENGTH) {
      throw new Refusal(`the array "${path}" has ${value.length} elements; Convex allows at most ${MAX_ARRAY_LENGTH}`);
    }
    let size = 2;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item !== null && typeof item === "object") {
        size += checkValue(item, depth + 1, `${path}[${i}]`);
        continue;
      }
      // Paths are built only when needed: for containers and for refusals.
      const s = primitiveSize(item);
      if (s < 0) throw notFinite(`${path}[${i}]`);
      size += s;
    }
    return size;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length > MAX_OBJECT_FIELDS) {
    throw new Refusal(`the object "${path}" has ${keys.length} fields; Convex allows at most ${MAX_OBJECT_FIELDS} per object`);
  }
  const names = storedNames(keys, path);
  let size = 2;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const item = obj[key];
    let s: number;
    if (item !== null && typeof item === "object") s = checkValue(item, depth + 1, `${path}.${key}`);
    else {
      s = primitiveSize(item);
      if (s < 0) throw notFinite(`${path}.${key}`);
    }
    size += (names[i] as string).length + 1 + s;
  }
  return size;
}

/** Marks a primary-key path the record does not have. */
export const MISSING = Symbol("missing");

/** The value (null counts) at a path of stored field names from `doc`, or MISSING. */
export function storedValue(doc: unknown, path: readonly string[]): unknown {
  let node: unknown = doc;
  for (const component of path) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return MISSING;
    const obj = node as Record<string, unknown>;
    if (Object.hasOwn(obj, component) && serverFieldName(component) === component) {
      node = obj[component];
      continue;
    }
    const key = Object.keys(obj).find((k) => serverFieldName(k) === component);
    if (key === undefined) return MISSING;
    node = obj[key];
  }
  return node === undefined ? MISSING : node;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A text that is equal for two records whenever the server would see the same primary key, so
 * batches whose key texts are disjoint cannot touch the same row. Distinct keys may share a text
 * (e.g. `5` and `"5"`); that only makes batches wait for each other. Null when the key has a value
 * this cannot vouch for (an object, an array, a string with lone surrogates): such a batch then
 * waits for every other batch of its table.
 */
export function keyText(values: readonly unknown[]): string | null {
  for (const v of values) {
    if (v !== null && typeof v === "object") return null;
    if (typeof v === "string" && LONE_SURROGATE.test(v)) return null;
  }
  if (values.length === 1) {
    const v = values[0];
    return typeof v === "string" ? v : String(v);
  }
  return JSON.stringify(values);
}
