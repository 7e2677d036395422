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
import { isIdentifier, sanitizeFieldNameCached, sanitizeTableName } from "./names.js";
import { flatten, type PkIndex, rebuildIndex, storedCreationTime, type Tablet, type Txn } from "./store.js";
import { byteOrder, type ConvexObject, encodeFields, encodeValue, type Format, formatFloat, isObject, type Value } from "./values.js";

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
  if (r.special === undefined) return plainFloat(creationTime) ? undefined : recordText(r, id, creationTime, "json");
  const doc = convert(r.special) as ConvexObject;
  for (const k of Object.keys(doc)) if (k.startsWith(CDC_PREFIX)) delete doc[k];
  doc._id = id;
  doc._creationTime = creationTime;
  const clean = encodeFields(doc, "json");
  return clean === text ? undefined : clean;
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

function importRecords(ctx: RequestCtx): Reply {
  const identity = ctx.identity();
  const args = parseImportBody(ctx.jsonBody("float64"));
  requireOperation(identity, "import");
  const dep = ctx.dep;
  // Conversion of every message and table happens before any write.
  const pks = new Map<string, string[][] | null>();
  for (const [name, pk] of args.tables) {
    try {
      pks.set(sanitizeTableName(name), pk);
    } catch {
      // An invalid table name fails below, after conversion, as before.
    }
  }
  const known = new Map<string, TableKeys>();
  const keysOf = (table: string): TableKeys => {
    let k = known.get(table);
    if (k === undefined) {
      k = { pk: pks.get(table), indexFields: dep.store.getTable(table)?.pkIndex?.fields };
      known.set(table, k);
    }
    return k;
  };
  const messages = args.messages;
  const records: ImportRecord[] = new Array(messages.length);
  for (let i = 0; i < messages.length; i++) {
    records[i] = convertMessage(messages[i] as { tableName: string; data: unknown }, keysOf);
    // Drop the parsed message: only its encoded form is needed from here on.
    messages[i] = undefined as unknown as { tableName: string; data: unknown };
  }
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

function indexesReady(ctx: RequestCtx): Reply {
  const identity = ctx.identity();
  const body = ctx.jsonBody();
  if (!isObj(body)) throw deserializeBody("invalid type: expected struct at line 1 column 1");
  if (!("tables" in body)) throw missing("tables");
  const tables = body.tables;
  if (!Array.isArray(tables) || !tables.every((t) => typeof t === "string")) {
    throw deserializeBody("invalid type: expected a sequence of strings at line 1 column 2");
  }
  requireOperation(identity, "import");
  const indexes: PkIndex[] = [];
  for (const raw of tables as string[]) {
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
  const identity = ctx.identity();
  const body = ctx.jsonBody();
  if (!isObj(body)) throw deserializeBody("invalid type: expected struct at line 1 column 1");
  if (!("tableNames" in body)) throw missing("tableNames");
  const names = body.tableNames;
  if (!Array.isArray(names) || !names.every((t) => typeof t === "string")) {
    throw deserializeBody("invalid type: expected a sequence of strings at line 1 column 2");
  }
  requireOperation(identity, "import");
  const sanitized = (names as string[]).map(sanitizeTable);
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

