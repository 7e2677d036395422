/**
 * The parsed import path: converts one parsed message (every number Float64, field names
 * sanitized at every level) and checks and encodes it in one walk, with the server's errors in
 * the server's order. The scanner (import-scan.ts) falls back to this for anything unusual.
 */
import { internalError } from "./errors.js";
import type { ImportMessage, TableKeys } from "./import-args.js";
import { appendRecord, CDC_DELETED, CDC_PREFIX, type ImportRecord } from "./import-record.js";
import { arrayTooLong, MAX_ARRAY_LEN, MAX_OBJECT_FIELDS, MAX_VALUE_NESTING, tooManyFields, tooNested } from "./limits.js";
import { memberPrefix, sortedOrder } from "./member-order.js";
import { sanitizeFieldNameCached } from "./names.js";
import { type ConvexObject, encodeValue, formatFloat, isObject, type Value } from "./values.js";

const DUPLICATE_FIELD_LIMIT = 3;

/** Converts imported JSON: every number is Float64, field names rewritten at every level. */
export function convert(v: unknown): Value {
  if (v === null || typeof v === "boolean" || typeof v === "string" || typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) {
    if (v.length > MAX_ARRAY_LEN) throw arrayTooLong(v.length);
    return v.map(convert);
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length > MAX_OBJECT_FIELDS) throw tooManyFields(keys.length);
  const out: ConvexObject = {};
  for (const k of keys) {
    let name = fieldName(k);
    for (let n = 0; Object.hasOwn(out, name); n++) {
      // "Too many duplicate field names found for modified field" carries no metadata: 500.
      if (n >= DUPLICATE_FIELD_LIMIT) throw internalError();
      name = `source_${name}`;
    }
    out[name] = convert(o[k]);
  }
  return out;
}

function fieldName(k: string): string {
  try {
    return sanitizeFieldNameCached(k);
  } catch {
    throw internalError();
  }
}

/*
 * The walk gives the same result as `convert` followed by `encodeFields`, `valueSize` and
 * `valueNesting`, without building the converted object. Field names are sanitized in the
 * server's order (name, then its value), so the first error is the one `convert` would throw.
 */

/** valueSize of everything encoded since the last reset. */
let encodedSize = 0;
/** Nesting of the value just encoded. */
let encodedDepth = 0;
/** Set when a value (-0, ±Infinity) encodes differently in the clean `json` format. */
let encodedSpecial = false;

function encodeNumber(x: number): string {
  if (x !== 0 && Number.isFinite(x)) return formatFloat(x);
  if (x === 0 && !Object.is(x, -0)) return "0.0";
  encodedSpecial = true;
  return encodeValue(x, "convex_encoded_json");
}

function encodeImported(v: unknown): string {
  encodedDepth = 0;
  if (v === null) {
    encodedSize += 1;
    return "null";
  }
  switch (typeof v) {
    case "string":
      encodedSize += Buffer.byteLength(v) + 2;
      return JSON.stringify(v);
    case "number":
      encodedSize += 9;
      return encodeNumber(v);
    case "boolean":
      encodedSize += 1;
      return v ? "true" : "false";
    case "bigint":
      encodedSize += 9;
      return encodeNumber(Number(v));
  }
  if (Array.isArray(v)) {
    if (v.length > MAX_ARRAY_LEN) throw arrayTooLong(v.length);
    encodedSize += 2;
    const items: string[] = new Array(v.length);
    let max = 0;
    for (let i = 0; i < v.length; i++) {
      items[i] = encodeImported(v[i]);
      if (encodedDepth > max) max = encodedDepth;
    }
    encodedDepth = max + 1;
    // join() builds one flat string; `+=` would build a rope that every later copy walks.
    return `[${items.join(",")}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length > MAX_OBJECT_FIELDS) throw tooManyFields(keys.length);
  const names: string[] = [];
  const texts: string[] = [];
  encodedSize += 2;
  const max = encodeMembers(o, keys, names, texts, undefined, undefined);
  encodedDepth = max + 1;
  return `{${joinOrdered(names, texts, sortedOrder(names), 0, names.length)}}`;
}

/**
 * Sanitizes and encodes an object's members in key order into `names`/`texts` (and per-field
 * sizes and nestings when asked); returns the largest member nesting.
 */
function encodeMembers(
  o: Record<string, unknown>,
  keys: string[],
  names: string[],
  texts: string[],
  sizes: number[] | undefined,
  depths: number[] | undefined,
): number {
  // While no name has been rewritten, the names are the (distinct) keys: no collision check.
  let used: Set<string> | undefined;
  let max = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    let name = fieldName(k);
    if (used === undefined && name !== k) used = new Set(names);
    if (used !== undefined) {
      for (let n = 0; used.has(name); n++) {
        // "Too many duplicate field names found for modified field" carries no metadata: 500.
        if (n >= DUPLICATE_FIELD_LIMIT) throw internalError();
        name = `source_${name}`;
      }
      used.add(name);
    }
    names.push(name);
    const before = encodedSize;
    const v = o[k];
    if (sizes !== undefined && (v === null || typeof v !== "object") && name.startsWith(CDC_PREFIX)) {
      // A top-level CDC scalar is dropped from the document: nothing to encode or check.
      texts.push("");
      sizes.push(0);
      depths?.push(0);
      continue;
    }
    texts.push(encodeImported(v));
    // Sanitized names are printable ASCII: one byte per character.
    encodedSize += name.length + 1;
    sizes?.push(encodedSize - before);
    depths?.push(encodedDepth);
    if (encodedDepth > max) max = encodedDepth;
  }
  return max;
}

/** The sorted members `order[from..to)` joined as `"name":value,…` (one flat string). */
function joinOrdered(names: string[], texts: string[], order: number[], from: number, to: number, skip?: boolean[]): string {
  const parts: string[] = [];
  for (let i = from; i < to; i++) {
    const j = order[i] as number;
    if (skip?.[j]) continue;
    parts.push(memberPrefix(names[j] as string) + (texts[j] as string));
  }
  return parts.join(",");
}

/** Converts, checks and encodes one parsed message into a record in the arena. */
export function convertMessage(m: ImportMessage, table: string, keys: TableKeys): ImportRecord {
  if (typeof m.data !== "object" || m.data === null || Array.isArray(m.data)) throw internalError();
  const data = m.data as Record<string, unknown>;
  const dataKeys = Object.keys(data);
  if (dataKeys.length > MAX_OBJECT_FIELDS) throw tooManyFields(dataKeys.length);
  const names: string[] = [];
  const texts: string[] = [];
  const sizes: number[] = [];
  const depths: number[] = [];
  encodedSpecial = false;
  encodedSize = 0;
  const allDepth = encodeMembers(data, dataKeys, names, texts, sizes, depths);
  if (allDepth + 1 > MAX_VALUE_NESTING) throw tooNested(allDepth + 1);
  let size = 2;
  let depth = 0;
  let deleted = false;
  let skip: boolean[] | undefined;
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (name.startsWith(CDC_PREFIX)) {
      if (name === CDC_DELETED) deleted = data[dataKeys[i] as string] !== null;
      skip ??= [];
      skip[i] = true;
      continue;
    }
    size += sizes[i] as number;
    if ((depths[i] as number) > depth) depth = depths[i] as number;
  }
  const order = sortedOrder(names);
  // No sanitized name starts with `_`: the system fields go between names below and above it.
  let split = 0;
  while (split < order.length && (names[order[split] as number] as string) < "_") split++;
  const head = joinOrdered(names, texts, order, 0, split, skip);
  const tail = joinOrdered(names, texts, order, split, order.length, skip);
  // Primary-key values are read now, so the parsed message need not outlive its conversion.
  const fields = { data, keys: dataKeys, names };
  const { pk, indexFields } = keys;
  let pkKey: string | undefined;
  let pkMissing = -1;
  if (pk !== null && pk !== undefined) {
    pkMissing = pk.findIndex((path) => fieldPath(fields, path) === undefined);
    pkKey = pkMissing < 0 ? indexKeyOf(fields, pk) : undefined;
  }
  let indexKey: string | undefined;
  if (indexFields !== undefined) indexKey = keys.same ? pkKey : indexKeyOf(fields, indexFields);
  return appendRecord(table, head, tail, size, depth + 1, deleted, encodedSpecial ? data : undefined, pkKey, pkMissing, indexKey);
}

interface ParsedFields {
  data: Record<string, unknown>;
  keys: string[];
  names: string[];
}

/** The converted value at `path` of a message's user fields (undefined if missing). */
function fieldPath(f: ParsedFields, path: string[]): Value | undefined {
  const first = path[0];
  if (first === undefined || first.startsWith(CDC_PREFIX)) return undefined;
  const j = f.names.indexOf(first);
  if (j < 0) return undefined;
  const raw = f.data[f.keys[j] as string];
  let v: Value | undefined = raw !== null && typeof raw === "object" ? convert(raw) : (raw as Value);
  for (let i = 1; i < path.length; i++) {
    const name = path[i] as string;
    v = isObject(v) && Object.hasOwn(v, name) ? v[name] : undefined;
  }
  return v;
}

/** A message's primary-key index key for `paths`; undefined if a key field is missing. */
function indexKeyOf(f: ParsedFields, paths: string[][]): string | undefined {
  let out = "";
  for (const path of paths) {
    const v = fieldPath(f, path);
    if (v === undefined) return undefined;
    out += `${encodeValue(v, "convex_encoded_json")}\u0001`;
  }
  return out;
}
