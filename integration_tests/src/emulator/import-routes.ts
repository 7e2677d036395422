/** Streaming import routes (§10): import_airbyte_records, indexes, clear_tables, replace_tables. */
import { requireOperation } from "./auth.js";
import type { Deployment } from "./context.js";
import { badRequest, deserializeBody, type HttpError, internalError } from "./errors.js";
import { empty, json, type Reply, type RequestCtx } from "./http-types.js";
import { arrayTooLong, MAX_ARRAY_LEN, MAX_OBJECT_FIELDS, MAX_VALUE_NESTING, tooManyFields, tooNested, validateDocument } from "./limits.js";
import { isIdentifier, sanitizeFieldName, sanitizeTableName } from "./names.js";
import { indexKey, type PkIndex, rebuildIndex, type Tablet, type Txn } from "./store.js";
import { type ConvexObject, type Value, valueNesting, valueSize } from "./values.js";

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
    let name: string;
    try {
      name = sanitizeFieldName(k);
    } catch {
      throw internalError();
    }
    for (let n = 0; Object.hasOwn(out, name); n++) {
      // "Too many duplicate field names found for modified field" carries no metadata: 500.
      if (n >= DUPLICATE_FIELD_LIMIT) throw internalError();
      name = `source_${name}`;
    }
    out[name] = convert(o[k]);
  }
  return out;
}

interface ImportRecord {
  table: string;
  fields: ConvexObject;
  deleted: boolean;
}

function convertMessage(m: { tableName: string; data: unknown }): ImportRecord {
  const table = sanitizeTable(m.tableName);
  if (typeof m.data !== "object" || m.data === null || Array.isArray(m.data)) throw internalError();
  const fields = convert(m.data) as ConvexObject;
  const nesting = valueNesting(fields);
  if (nesting > MAX_VALUE_NESTING) throw tooNested(nesting);
  const del = fields.source_ab_cdc_deleted_at;
  const deleted = del !== undefined && del !== null;
  for (const k of Object.keys(fields)) if (k.startsWith("source_ab_cdc")) delete fields[k];
  return { table, fields, deleted };
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

function getPath(doc: ConvexObject, path: string[]): Value | undefined {
  let v: Value | undefined = doc;
  for (const f of path) v = isObj(v) && !(v instanceof Uint8Array) ? (v as ConvexObject)[f] : undefined;
  return v;
}

function importRecords(ctx: RequestCtx): Reply {
  const identity = ctx.identity();
  const args = parseImportBody(ctx.jsonBody());
  requireOperation(identity, "import");
  const dep = ctx.dep;
  // Conversion of every message and table happens before any write.
  const records = args.messages.map(convertMessage);
  const streams = new Map<string, string[][] | null>();
  for (const [name, pk] of args.tables) {
    if (pk !== null && pk.length === 0) throw badRequest("EmptyPrimaryKey", "Primary keys cannot be empty");
    streams.set(sanitizeTable(name), pk);
  }
  let tx = dep.store.begin();
  try {
    for (const r of records) {
      const size = valueSize(r.fields);
      if (tx.writes >= dep.knobs.txnMaxWrites || (tx.writes > 0 && tx.writeBytes + size > dep.knobs.txnMaxBytes)) {
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

function writeRecord(tx: Txn, r: ImportRecord, streams: Map<string, string[][] | null>): void {
  if (!streams.has(r.table)) throw badRequest("MissingStream", `Missing stream for table ${r.table}`);
  const pk = streams.get(r.table) ?? null;
  if (pk === null) {
    // Append mode ignores the CDC deleted flag.
    validateDocument(r.fields);
    tx.insert(tx.table(r.table), r.fields);
    return;
  }
  for (const path of pk) {
    if (getPath(r.fields, path) === undefined) {
      throw badRequest("MissingPrimaryKeyValue", `Missing value for primary key field: ${JSON.stringify(path.join("."))}.`);
    }
  }
  const tablet = tx.table(r.table);
  const index = tablet.pkIndex;
  if (index === undefined) throw badRequest("IndexNotFoundError", `Index ${r.table}${INDEX_SUFFIX} not found.`);
  if (index.state !== "enabled") {
    throw badRequest("IndexBackfillingError", `Index ${r.table}${INDEX_SUFFIX} is currently backfilling and not available to query yet.`);
  }
  const k = indexKey(r.fields, pk);
  const matches = k === undefined ? [] : [...(index.entries.get(k) ?? [])];
  if (matches.length > 1) throw internalError(); // "Received more than one value for query"
  const id = matches[0];
  if (id === undefined) {
    // Quirk: a CDC-deleted record with no match is inserted.
    validateDocument(r.fields);
    tx.insert(tablet, r.fields);
    return;
  }
  if (r.deleted) {
    tx.write(tablet, id, null);
    return;
  }
  const old = tx.get(id, tablet) as ConvexObject;
  const doc: ConvexObject = { ...r.fields, _id: id, _creationTime: old._creationTime as number };
  validateDocument(doc);
  tx.write(tablet, id, doc);
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

