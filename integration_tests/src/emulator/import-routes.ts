/** Streaming import routes (§10): import_airbyte_records, indexes, clear_tables, replace_tables. */
import { requireOperation } from "./auth.js";
import type { Deployment } from "./context.js";
import { badRequest, deserializeBody, type HttpError, internalError } from "./errors.js";
import { empty, json, type Reply, type RequestCtx } from "./http-types.js";
import {
  arrayTooLong,
  checkDocumentLimits,
  MAX_ARRAY_LEN,
  MAX_OBJECT_FIELDS,
  MAX_VALUE_NESTING,
  SYSTEM_FIELDS_SIZE,
  systemFieldsSize,
  tooManyFields,
  tooNested,
} from "./limits.js";
import { isIdentifier, ownCopy, sanitizeFieldNameCached, sanitizeTableName } from "./names.js";
import { type PkIndex, rebuildIndex, storedCreationTime, type Tablet, type Txn } from "./store.js";
import { byteOrder, type ConvexObject, encodeFields, encodeValue, type Format, flatten, formatFloat, isObject, type Value } from "./values.js";

const INDEX_SUFFIX = "._by_airbyte_primary_key";
const DUPLICATE_FIELD_LIMIT = 3;

function sanitizeTable(name: string): string {
  try {
    return sanitizeTableName(name);
  } catch {
    throw internalError();
  }
}

/** Converts imported JSON: every number is Float64, field names rewritten at every level. */
function convert(v: unknown): Value {
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
 * The import hot path converts, checks and encodes each message in one walk over the parsed
 * JSON, straight to the stored `convex_encoded_json` text: the same result as `convert` followed
 * by `encodeFields`, `valueSize` and `valueNesting`, without building the converted object.
 * Field names are sanitized in the server's order (name, then its value), so the first error is
 * the one `convert` would throw.
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
  return `{${joinSorted(names, texts, 0, names.length)}}`;
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

const MEMBER_CACHE_LIMIT = 50_000;
const memberPrefixes = new Map<string, string>();

/** `"name":` for a field name (memoized). */
function memberPrefix(name: string): string {
  let p = memberPrefixes.get(name);
  if (p === undefined) {
    p = `${JSON.stringify(name)}:`;
    if (memberPrefixes.size >= MEMBER_CACHE_LIMIT) memberPrefixes.clear();
    memberPrefixes.set(name, p);
  }
  return p;
}

/** Member order: field names sorted like the server's BTreeMap (names are ASCII). */
function sortedOrder(names: string[]): number[] {
  const order: number[] = new Array(names.length);
  for (let i = 0; i < names.length; i++) {
    // Insertion sort: objects are small and often nearly sorted.
    const name = names[i] as string;
    let j = i;
    for (; j > 0 && (names[order[j - 1] as number] as string) > name; j--) order[j] = order[j - 1] as number;
    order[j] = i;
  }
  return order;
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

function joinSorted(names: string[], texts: string[], from: number, to: number): string {
  return joinOrdered(names, texts, names.length > 64 ? largeOrder(names) : sortedOrder(names), from, to);
}

function largeOrder(names: string[]): number[] {
  return names.map((_, i) => i).sort((a, b) => byteOrder(names[a] as string, names[b] as string));
}

interface ImportRecord {
  table: string;
  /** Encoded top-level members that sort before `_creationTime`, and after `_id`. */
  head: string;
  tail: string;
  /** valueSize and valueNesting of the user fields (the `source_ab_cdc*` fields removed). */
  size: number;
  nesting: number;
  deleted: boolean;
  /** The parsed `data`, kept only when a value (-0, ±Infinity) encodes differently in `json`. */
  special: Record<string, unknown> | undefined;
  /** Set by the scanner when the stored text has -0 or ±Infinity (as `{"$float":…}`). */
  specialText: boolean;
  /** Index key for the stream's primary key; the first primary-key path that is missing (or -1). */
  pkKey: string | undefined;
  pkMissing: number;
  /** Index key for the table's primary-key index fields (when the table has that index). */
  indexKey: string | undefined;
}

/** What conversion needs to know of a table: its stream's primary key and its index fields. */
interface TableKeys {
  pk: string[][] | null | undefined;
  indexFields: string[][] | undefined;
}

const CDC_PREFIX = "source_ab_cdc";

function convertMessage(m: { tableName: string; data: unknown }, keysOf: (table: string) => TableKeys): ImportRecord {
  const table = sanitizeTable(m.tableName);
  if (typeof m.data !== "object" || m.data === null || Array.isArray(m.data)) throw internalError();
  const data = m.data as Record<string, unknown>;
  const keys = Object.keys(data);
  if (keys.length > MAX_OBJECT_FIELDS) throw tooManyFields(keys.length);
  const names: string[] = [];
  const texts: string[] = [];
  const sizes: number[] = [];
  const depths: number[] = [];
  encodedSpecial = false;
  encodedSize = 0;
  const allDepth = encodeMembers(data, keys, names, texts, sizes, depths);
  if (allDepth + 1 > MAX_VALUE_NESTING) throw tooNested(allDepth + 1);
  let size = 2;
  let depth = 0;
  let deleted = false;
  let skip: boolean[] | undefined;
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (name.startsWith(CDC_PREFIX)) {
      if (name === "source_ab_cdc_deleted_at") deleted = data[keys[i] as string] !== null;
      skip ??= [];
      skip[i] = true;
      continue;
    }
    size += sizes[i] as number;
    if ((depths[i] as number) > depth) depth = depths[i] as number;
  }
  const order = names.length > 64 ? largeOrder(names) : sortedOrder(names);
  // No sanitized name starts with `_`: the system fields go between names below and above it.
  let split = 0;
  while (split < order.length && (names[order[split] as number] as string) < "_") split++;
  const head = joinOrdered(names, texts, order, 0, split, skip);
  const tail = joinOrdered(names, texts, order, split, order.length, skip);
  // Primary-key values are read now, so the parsed message need not outlive its conversion.
  const fields = { data, keys, names };
  const { pk, indexFields } = keysOf(table);
  let pkKey: string | undefined;
  let pkMissing = -1;
  if (pk !== null && pk !== undefined) {
    pkMissing = pk.findIndex((path) => fieldPath(fields, path) === undefined);
    pkKey = pkMissing < 0 ? indexKeyOf(fields, pk) : undefined;
  }
  let indexKey: string | undefined;
  if (indexFields !== undefined) indexKey = pk !== null && pk !== undefined && sameFields(pk, indexFields) ? pkKey : indexKeyOf(fields, indexFields);
  return {
    table,
    head: head === "" ? "" : `${head},`,
    tail: tail === "" ? "" : `,${tail}`,
    size,
    nesting: depth + 1,
    deleted,
    special: encodedSpecial ? data : undefined,
    specialText: false,
    pkKey,
    pkMissing,
    indexKey,
  };
}

/** The stored text of a record as the document `id`. */
function recordText(r: ImportRecord, id: string, creationTime: number, format: Format = "convex_encoded_json"): string {
  return flatten(`${r.head}"_creationTime":${encodeValue(creationTime, format)},"_id":${JSON.stringify(id)}${r.tail}`);
}

const plainFloat = (x: number) => Number.isFinite(x) && !Object.is(x, -0);

/** The clean `json` text when it differs from the stored text (rare: -0 or ±Infinity). */
function recordClean(r: ImportRecord, id: string, creationTime: number, text: string): string | undefined {
  if (r.specialText) {
    const clean = cleanSpecials(recordText(r, id, creationTime, "json"));
    return clean === text ? undefined : clean;
  }
  if (r.special === undefined) return plainFloat(creationTime) ? undefined : recordText(r, id, creationTime, "json");
  const doc = convert(r.special) as ConvexObject;
  for (const k of Object.keys(doc)) if (k.startsWith(CDC_PREFIX)) delete doc[k];
  doc._id = id;
  doc._creationTime = creationTime;
  const clean = encodeFields(doc, "json");
  return clean === text ? undefined : clean;
}

/** The stored forms of the floats that `json` writes differently, and their `json` forms. */
const SPECIAL_FLOATS = [-0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map(
  (x) => [encodeValue(x, "convex_encoded_json"), encodeValue(x, "json")] as const,
);

/**
 * The `json` text of stored text: its `{"$float":…}` objects replaced. The pattern cannot occur
 * elsewhere: quotes inside strings are escaped and field names never start with `$`.
 */
function cleanSpecials(text: string): string {
  for (const [stored, clean] of SPECIAL_FLOATS) if (text.includes(stored)) text = text.split(stored).join(clean);
  return text;
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

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function missing(field: string): HttpError {
  return deserializeBody(`missing field \`${field}\` at line 1 column 2`);
}

function parseImportBody(body: unknown): {
  tables: Map<string, string[][] | null>;
  messages: { tableName: string; data: unknown }[];
} {
  if (!isObj(body)) throw deserializeBody("invalid type: expected struct AirbyteImportArgs at line 1 column 1");
  if (!("tables" in body)) throw missing("tables");
  if (!("messages" in body)) throw missing("messages");
  const { tables, messages } = body;
  if (!isObj(tables)) throw deserializeBody("invalid type: expected a map at line 1 column 2");
  if (!Array.isArray(messages)) throw deserializeBody("invalid type: expected a sequence at line 1 column 2");
  const out = new Map<string, string[][] | null>();
  for (const [name, t] of Object.entries(tables)) {
    if (!isObj(t)) throw deserializeBody("invalid type: expected struct at line 1 column 2");
    if (!("jsonSchema" in t)) throw missing("jsonSchema");
    const pk = t.primaryKey;
    if (pk !== undefined && pk !== null && !isPathList(pk)) {
      throw deserializeBody("invalid type: expected a sequence of sequences of strings at line 1 column 2");
    }
    out.set(name, (pk as string[][] | undefined) ?? null);
  }
  const msgs = messages.map((m) => {
    if (!isObj(m)) throw deserializeBody("invalid type: expected struct at line 1 column 2");
    if (typeof m.tableName !== "string") throw missing("tableName");
    if (!("data" in m)) throw missing("data");
    return { tableName: m.tableName, data: m.data };
  });
  return { tables: out, messages: msgs };
}

function isPathList(v: unknown): v is string[][] {
  return Array.isArray(v) && v.every((p) => Array.isArray(p) && p.every((f) => typeof f === "string"));
}

/*
 * The import fast path: one scanner turns the request bytes straight into stored text, without
 * building parsed objects. It reads the body as Latin-1 (one char per byte, so a token's length is
 * its UTF-8 size), copies string tokens without escapes as they are (the server writes the same
 * text: it escapes only `"`, `\` and control characters), decodes the rare non-ASCII or escaped
 * token, and re-formats numbers as Float64. Objects are matched against a tree of the key
 * sequences seen before, which holds each shape's sanitized names and sorted member order.
 * Anything unusual (duplicate or colliding names, limits, unknown members, syntax errors, any
 * error at all) abandons the scan, and the parsed path redoes the request with its exact errors.
 * The scan writes nothing, so abandoning it has no side effects.
 */

/** Thrown to abandon the scan. */
const BAIL = new Error("import scan abandoned");

/** The body as Latin-1 text. */
let src = "";
let pos = 0;
/** Nesting of open containers (the data object is 1). */
let level = 0;
/** UTF-8 length of the last string token's value; its decoded value when it was not plain ASCII. */
let lastBytes = 0;
let lastDecoded: string | undefined;
/** Set when a value (-0, ±Infinity) encodes differently in the clean `json` format. */
let scanSpecial = false;

function skipWs(): void {
  let c = src.charCodeAt(pos);
  while (c === 32 || c === 10 || c === 13 || c === 9) c = src.charCodeAt(++pos);
}

function expectChar(c: number): void {
  if (src.charCodeAt(pos) !== c) throw BAIL;
  pos++;
}

/** After a member or item: true for `,` (and skips the whitespace after it), false for `close`. */
function nextOrClose(close: number): boolean {
  skipWs();
  const c = src.charCodeAt(pos++);
  if (c === 44) {
    skipWs();
    return true;
  }
  if (c === close) return false;
  throw BAIL;
}

/** The string token at `pos` as stored text: the token itself when it is plain ASCII. */
function scanString(): string {
  const start = pos;
  let i = pos + 1;
  let high = false;
  for (;;) {
    const c = src.charCodeAt(i);
    if (c === 34) break;
    if (c === 92) return scanEscaped(start);
    if (!(c >= 0x20)) throw BAIL; // a control character, or the end of the text (NaN)
    if (c >= 0x80) high = true;
    i++;
  }
  pos = i + 1;
  if (!high) {
    lastBytes = pos - start - 2;
    lastDecoded = undefined;
    return src.slice(start, pos);
  }
  // UTF-8 resynchronizes at the ASCII quotes: decoding the token alone decodes it as the body.
  const text = Buffer.from(src.slice(start, pos), "latin1").toString("utf8");
  lastDecoded = text.slice(1, -1);
  lastBytes = Buffer.byteLength(lastDecoded);
  return text;
}

function scanEscaped(start: number): string {
  let i = start + 1;
  for (;;) {
    const c = src.charCodeAt(i);
    if (c === 34) break;
    if (c === 92) i++;
    else if (Number.isNaN(c)) throw BAIL;
    i++;
  }
  pos = i + 1;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(src.slice(start, pos), "latin1").toString("utf8"));
  } catch {
    throw BAIL;
  }
  if (typeof v !== "string") throw BAIL;
  lastBytes = Buffer.byteLength(v);
  lastDecoded = v;
  return JSON.stringify(v);
}

/** The value of the string token just scanned as `text`. */
function tokenValue(text: string): string {
  return lastDecoded ?? text.slice(1, -1);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A JSON number token as stored Float64 text ("" when `skip`: only checked, never stored). */
function scanNumber(skip = false): string {
  const start = pos;
  let i = pos;
  let c = src.charCodeAt(i);
  if (c === 45) c = src.charCodeAt(++i);
  if (c === 48) c = src.charCodeAt(++i);
  else if (c >= 49 && c <= 57) {
    do c = src.charCodeAt(++i);
    while (isDigit(c));
  } else throw BAIL;
  const intEnd = i;
  let fraction = false;
  if (c === 46) {
    fraction = true;
    c = src.charCodeAt(++i);
    if (!isDigit(c)) throw BAIL;
    do c = src.charCodeAt(++i);
    while (isDigit(c));
  }
  let exponent = false;
  if (c === 101 || c === 69) {
    exponent = true;
    c = src.charCodeAt(++i);
    if (c === 43 || c === 45) c = src.charCodeAt(++i);
    if (!isDigit(c)) throw BAIL;
    do c = src.charCodeAt(++i);
    while (isDigit(c));
  }
  pos = i;
  if (skip) return "";
  encodedSize += 9;
  const first = src.charCodeAt(start);
  if (!exponent) {
    if (fraction) {
      if (isCanonicalDecimal(start, intEnd, i)) return src.slice(start, i);
    } else if (i - start <= 15 && !(first === 45 && src.charCodeAt(start + 1) === 48)) {
      // An integer below 10^15 (not -0): exact as a double, formatted as its digits plus ".0".
      return first === 48 ? "0.0" : `${src.slice(start, i)}.0`;
    }
  }
  const x = Number(src.slice(start, i));
  if (x !== 0 && Number.isFinite(x)) return formatFloat(x);
  if (x === 0 && !Object.is(x, -0)) return "0.0";
  // -0 and ±Infinity are stored as `{"$float":…}`.
  scanSpecial = true;
  return encodeValue(x, "convex_encoded_json");
}

/**
 * Whether a decimal token `int.frac` (no exponent) is already the server's text for its double:
 * at most 15 digits (so it round-trips, and no shorter decimal reads as the same double), no
 * trailing zero (except a lone ".0" of a non-negative-zero integer), and at least 1e-5 (printed
 * without an exponent).
 */
function isCanonicalDecimal(start: number, intEnd: number, end: number): boolean {
  const neg = src.charCodeAt(start) === 45;
  const intStart = neg ? start + 1 : start;
  const fracStart = intEnd + 1;
  if (intEnd - intStart + (end - fracStart) > 15) return false;
  const intZero = intEnd - intStart === 1 && src.charCodeAt(intStart) === 48;
  if (src.charCodeAt(end - 1) === 48) {
    // Only "n.0": an integer (formatted with ".0"), but not -0.
    return end - fracStart === 1 && !(neg && intZero);
  }
  if (intZero && end - fracStart > 5) {
    // Below 1e-5 the server writes an exponent: the first five fraction digits must not all be 0.
    for (let k = fracStart; k < fracStart + 5; k++) if (src.charCodeAt(k) !== 48) return true;
    return false;
  }
  return true;
}

function scanLiteral(word: string, size: number): string {
  if (!src.startsWith(word, pos)) throw BAIL;
  pos += word.length;
  encodedSize += size;
  return word;
}

/** Scans the value at `pos` to its stored text; like `encodeImported` (sets encodedSize/Depth). */
function scanValue(): string {
  const c = src.charCodeAt(pos);
  encodedDepth = 0;
  switch (c) {
    case 34: {
      const text = scanString();
      encodedSize += lastBytes + 2;
      return text;
    }
    case 123:
      return scanObject();
    case 91:
      return scanArray();
    case 116:
      return scanLiteral("true", 1);
    case 102:
      return scanLiteral("false", 1);
    case 110:
      return scanLiteral("null", 1);
  }
  return scanNumber();
}

/**
 * Member texts, one array per nesting level (one object is open per level at a time), reused for
 * every object: written from index 0 on, read only below the object's member count (its shape's
 * indexes), so never truncated (setting `length` is slow). Emptied after each scan.
 */
const scratch: string[][] = [];

function scratchAt(l: number): string[] {
  let a = scratch[l];
  if (a === undefined) {
    a = [];
    scratch[l] = a;
  }
  return a;
}

function scanArray(): string {
  if (++level > MAX_VALUE_NESTING) throw BAIL;
  pos++;
  skipWs();
  encodedSize += 2;
  const items: string[] = [];
  let max = 0;
  if (src.charCodeAt(pos) === 93) pos++;
  else {
    do {
      items.push(scanValue());
      if (encodedDepth > max) max = encodedDepth;
    } while (nextOrClose(93));
  }
  if (items.length > MAX_ARRAY_LEN) throw BAIL;
  level--;
  encodedDepth = max + 1;
  return `[${items.join(",")}]`;
}

/** A key sequence seen before: the node reached after its last key. */
interface Shape {
  /** Sanitized names of the sequence, in key order. */
  names: string[];
  /** The last name: a CDC field, the CDC deleted flag. */
  cdc: boolean;
  deletedAt: boolean;
  edges: { token: string; next: Shape }[];
  /** Filled when an object ends here; null when its names repeat (the parsed path decides). */
  end: ShapeEnd | null | undefined;
}

/** Member order of a shape: input indexes in sorted order, and the `,"name":` before each. */
interface ShapeEnd {
  all: Members;
  /** Top level: the non-CDC members that sort before `_creationTime`, and after `_id`. */
  head: Members;
  tail: Members;
}

interface Members {
  index: number[];
  prefix: string[];
}

const SHAPE_LIMIT = 20_000;
const EDGE_LIMIT = 32;
let shapeCount = 0;
let shapeRoot = newShape([], false);

function newShape(names: string[], cdc: boolean): Shape {
  shapeCount++;
  const last = names[names.length - 1];
  return { names, cdc, deletedAt: last === "source_ab_cdc_deleted_at", edges: [], end: undefined };
}

/** Consumes the key token at `pos`: the shape after it. */
function nextShape(node: Shape): Shape {
  const edges = node.edges;
  for (let k = 0; k < edges.length; k++) {
    const e = edges[k] as { token: string; next: Shape };
    if (src.startsWith(e.token, pos)) {
      pos += e.token.length;
      return e.next;
    }
  }
  const start = pos;
  const key = tokenValue(scanString());
  let name: string;
  try {
    name = sanitizeFieldNameCached(key);
  } catch {
    throw BAIL;
  }
  if (node.names.length >= MAX_OBJECT_FIELDS) throw BAIL;
  // The raw token identifies the key: equal tokens decode to equal keys.
  const next = newShape([...node.names, name], name.startsWith(CDC_PREFIX));
  if (shapeCount > SHAPE_LIMIT) {
    // A bounded tree: ever-new shapes start it afresh (nodes in use stay valid).
    shapeCount = 0;
    shapeRoot = newShape([], false);
  } else if (edges.length < EDGE_LIMIT) {
    edges.push({ token: ownCopy(src.slice(start, pos)), next });
  }
  return next;
}

function members(names: string[], order: number[], from: number, to: number, skipCdc: boolean): Members {
  const index: number[] = [];
  const prefix: string[] = [];
  for (let k = from; k < to; k++) {
    const j = order[k] as number;
    const name = names[j] as string;
    if (skipCdc && name.startsWith(CDC_PREFIX)) continue;
    index.push(j);
    prefix.push((index.length > 1 ? "," : "") + memberPrefix(name));
  }
  return { index, prefix };
}

function shapeEnd(node: Shape): ShapeEnd {
  let end = node.end;
  if (end === undefined) {
    const names = node.names;
    const order = names.length > 64 ? largeOrder(names) : sortedOrder(names);
    end = null;
    if (order.every((j, k) => k === 0 || names[j] !== names[order[k - 1] as number])) {
      // No sanitized name starts with `_`: the system fields go between names below and above it.
      let split = 0;
      while (split < order.length && (names[order[split] as number] as string) < "_") split++;
      end = {
        all: members(names, order, 0, order.length, false),
        head: members(names, order, 0, split, true),
        tail: members(names, order, split, order.length, true),
      };
    }
    node.end = end;
  }
  if (end === null) throw BAIL;
  return end;
}

function joinMembers(texts: string[], m: Members): string {
  const n = m.index.length;
  const parts: string[] = new Array(2 * n);
  for (let k = 0; k < n; k++) {
    parts[2 * k] = m.prefix[k] as string;
    parts[2 * k + 1] = texts[m.index[k] as number] as string;
  }
  return parts.join("");
}

/** Head and tail of a record in one join (one copy): `head,` and `,tail` slice it. */
function joinRecord(texts: string[], end: ShapeEnd): { head: string; tail: string } {
  const h = end.head;
  const t = end.tail;
  const nh = h.index.length;
  const nt = t.index.length;
  // head members, "," after them, "," before the tail members, tail members.
  const parts: string[] = new Array(2 * nh + 2 * nt + 2);
  let split = 0;
  let at = 0;
  for (let k = 0; k < nh; k++) {
    const p = h.prefix[k] as string;
    const v = texts[h.index[k] as number] as string;
    parts[at++] = p;
    parts[at++] = v;
    split += p.length + v.length;
  }
  parts[at++] = nh > 0 ? "," : "";
  if (nh > 0) split++;
  parts[at++] = nt > 0 ? "," : "";
  for (let k = 0; k < nt; k++) {
    parts[at++] = t.prefix[k] as string;
    parts[at++] = texts[t.index[k] as number] as string;
  }
  const all = parts.join("");
  return { head: all.slice(0, split), tail: all.slice(split) };
}

/** Nesting of the user fields (CDC fields excluded at the top level) of the last scanned object. */
let membersDepth = 0;
/** Whether the top-level object just scanned has a non-null CDC deleted flag. */
let membersDeleted = false;

/**
 * Scans an object's members (after its `{`) into `texts`, like `encodeMembers`; at the top level
 * CDC members are left out of the size and nesting. Returns the object's shape.
 */
function scanMembers(texts: string[], top: boolean): Shape {
  skipWs();
  let node = shapeRoot;
  let max = 0;
  if (src.charCodeAt(pos) === 125) pos++;
  else {
    do {
      if (src.charCodeAt(pos) !== 34) throw BAIL;
      node = nextShape(node);
      skipWs();
      expectChar(58);
      skipWs();
      const before = encodedSize;
      const c = src.charCodeAt(pos);
      // A top-level CDC number is dropped unencoded (as the parsed path does): only check it.
      const text = top && node.cdc && (c === 45 || isDigit(c)) ? scanNumber(true) : scanValue();
      texts[node.names.length - 1] = text;
      if (top && node.cdc) {
        encodedSize = before;
        if (node.deletedAt) membersDeleted = text !== "null";
        continue;
      }
      // Sanitized names are printable ASCII: one byte per character.
      encodedSize += (node.names[node.names.length - 1] as string).length + 1;
      if (encodedDepth > max) max = encodedDepth;
    } while (nextOrClose(125));
  }
  membersDepth = max;
  return node;
}

function scanObject(): string {
  if (++level > MAX_VALUE_NESTING) throw BAIL;
  pos++;
  const texts = scratchAt(level);
  encodedSize += 2;
  const end = shapeEnd(scanMembers(texts, false));
  level--;
  encodedDepth = membersDepth + 1;
  return `{${joinMembers(texts, end.all)}}`;
}

/** The stored text at `path` of scanned top-level members (undefined if missing). */
function scannedPath(names: string[], texts: string[], path: string[]): string | undefined {
  const first = path[0];
  if (first === undefined || first.startsWith(CDC_PREFIX)) return undefined;
  const j = names.indexOf(first);
  if (j < 0) return undefined;
  const text = texts[j] as string;
  if (path.length === 1) return text;
  // Without special floats, parsing scanned text gives the converted value back.
  if (text.includes('{"$float":')) throw BAIL;
  let v = JSON.parse(text) as Value | undefined;
  for (let i = 1; i < path.length; i++) {
    const name = path[i] as string;
    v = isObject(v) && Object.hasOwn(v, name) ? v[name] : undefined;
  }
  return v === undefined ? undefined : encodeValue(v, "convex_encoded_json");
}

function scannedKey(names: string[], texts: string[], paths: string[][]): string | undefined {
  let out = "";
  for (const path of paths) {
    const t = scannedPath(names, texts, path);
    if (t === undefined) return undefined;
    out += `${t}\u0001`;
  }
  // Flat, so that the index key does not keep the request text alive through a slice.
  return flatten(out);
}

/** The data object at `pos` as a record of `table`. */
function scanRecord(table: string, keysOf: (table: string) => TableKeys): ImportRecord {
  level = 1;
  pos++;
  const texts = scratchAt(1);
  encodedSize = 0;
  scanSpecial = false;
  membersDeleted = false;
  const shape = scanMembers(texts, true);
  level = 0;
  const end = shapeEnd(shape);
  const { head, tail } = joinRecord(texts, end);
  const names = shape.names;
  const { pk, indexFields } = keysOf(table);
  let pkKey: string | undefined;
  let pkMissing = -1;
  if (pk !== null && pk !== undefined) {
    pkMissing = pk.findIndex((path) => scannedPath(names, texts, path) === undefined);
    pkKey = pkMissing < 0 ? scannedKey(names, texts, pk) : undefined;
  }
  let indexKey: string | undefined;
  if (indexFields !== undefined) {
    indexKey = pk !== null && pk !== undefined && sameFields(pk, indexFields) ? pkKey : scannedKey(names, texts, indexFields);
  }
  return {
    table,
    head,
    tail,
    size: encodedSize + 2,
    nesting: membersDepth + 1,
    deleted: membersDeleted,
    special: undefined,
    specialText: scanSpecial,
    pkKey,
    pkMissing,
    indexKey,
  };
}

let lastTableToken = "";
let lastTable = "";

function scanTableName(): string {
  if (src.charCodeAt(pos) !== 34) throw BAIL;
  if (lastTableToken !== "" && src.startsWith(lastTableToken, pos)) {
    pos += lastTableToken.length;
    return lastTable;
  }
  const start = pos;
  const name = tokenValue(scanString());
  try {
    lastTable = ownCopy(sanitizeTableName(name));
  } catch {
    throw BAIL;
  }
  lastTableToken = ownCopy(src.slice(start, pos));
  return lastTable;
}

/** One message `{"tableName": …, "data": {…}}` (either order). */
function scanMessage(keysOf: (table: string) => TableKeys): ImportRecord {
  expectChar(123);
  skipWs();
  let table: string | undefined;
  let dataAt = -1;
  do {
    if (src.charCodeAt(pos) !== 34) throw BAIL;
    const key = scanString();
    skipWs();
    expectChar(58);
    skipWs();
    if (key === '"tableName"' && table === undefined) {
      table = scanTableName();
      if (dataAt >= 0) {
        // `data` came first: scan it now that its table is known.
        const end = pos;
        pos = dataAt;
        const r = scanRecord(table, keysOf);
        pos = end;
        return lastMember(r);
      }
    } else if (key === '"data"' && dataAt < 0) {
      if (src.charCodeAt(pos) !== 123) throw BAIL;
      if (table !== undefined) return lastMember(scanRecord(table, keysOf));
      dataAt = pos;
      skipContainer();
    } else {
      throw BAIL;
    }
  } while (nextOrClose(125));
  throw BAIL; // `tableName` or `data` is missing
}

function lastMember(r: ImportRecord): ImportRecord {
  if (nextOrClose(125)) throw BAIL; // more members after both
  return r;
}

/** Skips the object or array at `pos` (its text is checked when it is used). */
function skipContainer(): void {
  let depth = 0;
  do {
    const c = src.charCodeAt(pos);
    if (c === 34) {
      scanString();
      continue;
    }
    if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
    else if (Number.isNaN(c)) throw BAIL;
    pos++;
  } while (depth > 0);
}

/** The import body scanned to records, or undefined when the parsed path must handle it. */
function scanImportBody(body: Buffer, dep: Deployment): { tables: Map<string, string[][] | null>; records: ImportRecord[] } | undefined {
  src = body.toString("latin1");
  pos = 0;
  level = 0;
  try {
    skipWs();
    expectChar(123);
    skipWs();
    let tables: Map<string, string[][] | null> | undefined;
    let records: ImportRecord[] | undefined;
    do {
      if (src.charCodeAt(pos) !== 34) throw BAIL;
      const key = scanString();
      skipWs();
      expectChar(58);
      skipWs();
      if (key === '"tables"' && tables === undefined) {
        if (src.charCodeAt(pos) !== 123) throw BAIL;
        const start = pos;
        skipContainer();
        const text = Buffer.from(src.slice(start, pos), "latin1").toString("utf8");
        tables = parseImportBody({ tables: JSON.parse(text), messages: [] }).tables;
      } else if (key === '"messages"' && tables !== undefined && records === undefined) {
        const keysOf = tableKeys(dep, tables);
        expectChar(91);
        skipWs();
        records = [];
        if (src.charCodeAt(pos) === 93) pos++;
        else {
          do records.push(scanMessage(keysOf));
          while (nextOrClose(93));
        }
      } else {
        throw BAIL;
      }
    } while (nextOrClose(125));
    skipWs();
    if (pos !== src.length || tables === undefined || records === undefined) throw BAIL;
    return { tables, records };
  } catch {
    return undefined;
  } finally {
    src = "";
    for (const a of scratch) if (a !== undefined) a.length = 0;
  }
}

/** What conversion needs of each table, looked up once per table and request. */
function tableKeys(dep: Deployment, tables: Map<string, string[][] | null>): (table: string) => TableKeys {
  const pks = new Map<string, string[][] | null>();
  for (const [name, pk] of tables) {
    try {
      pks.set(sanitizeTableName(name), pk);
    } catch {
      // An invalid table name fails below, after conversion, as before.
    }
  }
  const known = new Map<string, TableKeys>();
  return (table: string): TableKeys => {
    let k = known.get(table);
    if (k === undefined) {
      k = { pk: pks.get(table), indexFields: dep.store.getTable(table)?.pkIndex?.fields };
      known.set(table, k);
    }
    return k;
  };
}

function importRecords(ctx: RequestCtx): Reply {
  const identity = ctx.identity();
  const bytes = ctx.jsonBytes();
  const dep = ctx.dep;
  // Conversion of every message and table happens before any write.
  let args = scanImportBody(bytes, dep);
  if (args === undefined) {
    const parsed = parseImportBody(ctx.parseJson(bytes.toString("utf8"), "float64"));
    requireOperation(identity, "import");
    const keysOf = tableKeys(dep, parsed.tables);
    const messages = parsed.messages;
    const records: ImportRecord[] = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) {
      records[i] = convertMessage(messages[i] as { tableName: string; data: unknown }, keysOf);
      // Drop the parsed message: only its encoded form is needed from here on.
      messages[i] = undefined as unknown as { tableName: string; data: unknown };
    }
    args = { tables: parsed.tables, records };
  } else {
    requireOperation(identity, "import");
  }
  const records = args.records;
  const streams = new Map<string, string[][] | null>();
  for (const [name, pk] of args.tables) {
    if (pk !== null && pk.length === 0) throw badRequest("EmptyPrimaryKey", "Primary keys cannot be empty");
    streams.set(sanitizeTable(name), pk);
  }
  let tx = dep.store.begin();
  try {
    for (const r of records) {
      if (tx.writes >= dep.knobs.txnMaxWrites || (tx.writes > 0 && tx.writeBytes + r.size > dep.knobs.txnMaxBytes)) {
        // Hitting a transaction limit commits what is there and carries on in a new transaction.
        tx = dep.store.begin();
      }
      writeRecord(tx, r, streams);
    }
  } catch (e) {
    tx.rollback();
    throw e;
  }
  return empty();
}

function sameFields(a: string[][], b: string[][]): boolean {
  return a.length === b.length && a.every((p, i) => p.length === b[i]?.length && p.every((f, j) => f === b[i]?.[j]));
}

function insertRecord(tx: Txn, tablet: Tablet, r: ImportRecord, key: string | undefined): void {
  const id = tx.newId(tablet);
  const ct = tx.creationTime;
  const text = recordText(r, id, ct);
  tx.writeText(tablet, id, text, recordClean(r, id, ct, text), { before: undefined, after: key });
}

function writeRecord(tx: Txn, r: ImportRecord, streams: Map<string, string[][] | null>): void {
  if (!streams.has(r.table)) throw badRequest("MissingStream", `Missing stream for table ${r.table}`);
  const pk = streams.get(r.table) ?? null;
  if (pk === null) {
    // Append mode ignores the CDC deleted flag.
    checkDocumentLimits(r.size + SYSTEM_FIELDS_SIZE, r.nesting);
    const tablet = tx.table(r.table);
    insertRecord(tx, tablet, r, r.indexKey);
    return;
  }
  const missing = pk[r.pkMissing];
  if (missing !== undefined) {
    throw badRequest("MissingPrimaryKeyValue", `Missing value for primary key field: ${JSON.stringify(missing.join("."))}.`);
  }
  const tablet = tx.table(r.table);
  const index = tablet.pkIndex;
  if (index === undefined) throw badRequest("IndexNotFoundError", `Index ${r.table}${INDEX_SUFFIX} not found.`);
  if (index.state !== "enabled") {
    throw badRequest("IndexBackfillingError", `Index ${r.table}${INDEX_SUFFIX} is currently backfilling and not available to query yet.`);
  }
  const k = r.pkKey;
  const match = k === undefined ? undefined : index.entries.get(k);
  if (typeof match === "object" && match.size > 1) throw internalError(); // "Received more than one value for query"
  // The index is keyed by its own fields; they are normally the stream's primary key.
  const newKey = r.indexKey;
  const id = typeof match === "object" ? (match.values().next().value as string | undefined) : match;
  if (id === undefined) {
    // Quirk: a CDC-deleted record with no match is inserted.
    checkDocumentLimits(r.size + SYSTEM_FIELDS_SIZE, r.nesting);
    insertRecord(tx, tablet, r, newKey);
    return;
  }
  if (r.deleted) {
    tx.writeText(tablet, id, null, undefined, { before: k, after: undefined });
    return;
  }
  const old = tablet.docs.get(id)?.text as string;
  checkDocumentLimits(r.size + systemFieldsSize(id), r.nesting);
  const ct = storedCreationTime(old);
  const text = recordText(r, id, ct);
  tx.writeText(tablet, id, text, recordClean(r, id, ct, text), { before: k, after: newKey });
}

function invalidPrimaryKey(paths: string[][]): HttpError {
  const debug = `[${paths.map((p) => `[${p.map((f) => JSON.stringify(f)).join(", ")}]`).join(", ")}]`;
  return badRequest(
    "InvalidPrimaryKey",
    `Invalid primary key: Identifiers must start with a letter and can only contain letters, digits, and underscores. ${debug}.`,
  );
}

function addIndexes(ctx: RequestCtx): Reply {
  const identity = ctx.identity();
  const body = ctx.jsonBody();
  if (!isObj(body)) throw deserializeBody("invalid type: expected struct at line 1 column 1");
  if (!("indexes" in body)) throw missing("indexes");
  const indexes = body.indexes;
  if (!isObj(indexes) || !Object.values(indexes).every(isPathList)) {
    throw deserializeBody("invalid type: expected a map of sequences at line 1 column 2");
  }
  requireOperation(identity, "import");
  const wanted = new Map<string, string[][]>();
  for (const [name, raw] of Object.entries(indexes)) {
    const paths = raw as string[][];
    const seen = new Set<string>();
    for (const p of paths) {
      const joined = p.join(".");
      if (p.length === 0 || seen.has(joined) || !p.every(isIdentifier) || joined === "_id") throw invalidPrimaryKey(paths);
      seen.add(joined);
    }
    if (paths.length > 16) throw invalidPrimaryKey(paths);
    if (paths.some((p) => p.join(".") === "_creationTime")) {
      throw badRequest("IndexFieldsContainCreationTime", "`_creationTime` is automatically added to the end of each index. It should not be added explicitly in the index definition.");
    }
    if (paths.some((p) => p.some((f) => f.startsWith("_")))) {
      throw badRequest("IndexFieldNameReserved", "Reserved fields (starting with `_`) are not allowed in indexes.");
    }
    if (paths.length + 1 > 16) throw badRequest("IndexTooManyFields", "Indexes may have up to 16 fields.");
    wanted.set(sanitizeTable(name), paths);
  }
  const { store, knobs } = ctx.dep;
  store.transact((tx) => {
    for (const [name, fields] of wanted) {
      const tablet = tx.table(name);
      if (tablet.pkIndex !== undefined && JSON.stringify(tablet.pkIndex.fields) === JSON.stringify(fields)) continue;
      const index: PkIndex = {
        fields,
        state: "backfilling",
        pollsLeft: knobs.indexBackfillPolls,
        readyAtMs: store.clock.nowMs() + knobs.indexBackfillMs,
        entries: new Map(),
      };
      rebuildIndex(tablet, index);
      tablet.pkIndex = index;
    }
  });
  return empty();
}

/** Advances a backfill: ready after the configured number of polls or the delay. */
function backfillDone(index: PkIndex, nowMs: number): boolean {
  if (index.state === "enabled") return true;
  if (index.pollsLeft <= 0 || nowMs >= index.readyAtMs) {
    index.state = "enabled";
    return true;
  }
  index.pollsLeft--;
  return false;
}

/**
 * The body `{"<field>": ["name", …]}` of indexes_ready and clear_tables, with the server's order of
 * checks: authentication, then the body, then the permission.
 */
function stringListBody(ctx: RequestCtx, field: string): string[] {
  const identity = ctx.identity();
  const body = ctx.jsonBody();
  if (!isObj(body)) throw deserializeBody("invalid type: expected struct at line 1 column 1");
  if (!(field in body)) throw missing(field);
  const list = body[field];
  if (!Array.isArray(list) || !list.every((t) => typeof t === "string")) {
    throw deserializeBody("invalid type: expected a sequence of strings at line 1 column 2");
  }
  requireOperation(identity, "import");
  return list as string[];
}

function indexesReady(ctx: RequestCtx): Reply {
  const tables = stringListBody(ctx, "tables");
  const indexes: PkIndex[] = [];
  for (const raw of tables) {
    const name = sanitizeTable(raw);
    const index = ctx.dep.store.getTable(name)?.pkIndex;
    if (index === undefined) throw badRequest("MissingIndex", `Missing index: ${name}${INDEX_SUFFIX}`);
    indexes.push(index);
  }
  const now = ctx.dep.store.clock.nowMs();
  let ready = true;
  for (const index of indexes) if (!backfillDone(index, now)) ready = false;
  return json(`{"indexesReady":${ready}}`);
}

/** Lets tests finish every pending backfill at once. */
export function finishBackfills(tablets: Tablet[]): void {
  for (const t of tablets) if (t.pkIndex !== undefined) t.pkIndex.state = "enabled";
}

function clearTables(ctx: RequestCtx): Reply {
  const sanitized = stringListBody(ctx, "tableNames").map(sanitizeTable);
  clearTablesAtomically(ctx.dep, sanitized);
  return empty();
}

/** One commit swaps in an empty tablet per table (same table number, indexes copied and ready). */
export function clearTablesAtomically(dep: Deployment, names: string[], component = ""): void {
  const { store } = dep;
  const tx = store.begin();
  for (const name of names) {
    const old = store.getTable(name, component);
    const fresh = store.createTablet(name, component, tx.ts, old);
    if (old?.pkIndex !== undefined) {
      fresh.pkIndex = { ...old.pkIndex, state: "enabled", entries: new Map() };
    }
  }
}

function replaceTables(ctx: RequestCtx): Reply {
  ctx.identity();
  const body = ctx.jsonBody();
  if (!isObj(body)) throw deserializeBody("invalid type: expected struct at line 1 column 1");
  if (!("tableNames" in body)) throw missing("tableNames");
  const t = body.tableNames;
  if (!isObj(t) || !Object.values(t).every((v) => typeof v === "string")) {
    throw deserializeBody("invalid type: expected a map of strings at line 1 column 2");
  }
  throw badRequest("OverwriteNotSupported", "Overwrite sync mode is not supported. Please use a different sync mode.");
}

export const IMPORT_BODY_LIMIT = 10 * (2 << 20);

export const importRoutes: Record<string, Partial<Record<"GET" | "POST" | "PUT", (ctx: RequestCtx) => Reply>>> = {
  "/api/streaming_import/import_airbyte_records": { POST: importRecords },
  "/api/streaming_import/add_primary_key_indexes": { PUT: addIndexes },
  "/api/streaming_import/primary_key_indexes_ready": { GET: indexesReady },
  "/api/streaming_import/clear_tables": { PUT: clearTables },
  "/api/streaming_import/replace_tables": { POST: replaceTables },
};

