/** The streaming-import request bodies: their shape checks (serde's errors) and table lookups. */
import { requireOperation } from "./auth.js";
import type { Deployment } from "./context.js";
import { deserializeBody, type HttpError, internalError } from "./errors.js";
import type { RequestCtx } from "./http-types.js";
import { sanitizeTableName } from "./names.js";

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isPathList(v: unknown): v is string[][] {
  return Array.isArray(v) && v.every((p) => Array.isArray(p) && p.every((f) => typeof f === "string"));
}

export function missing(field: string): HttpError {
  return deserializeBody(`missing field \`${field}\` at line 1 column 2`);
}

/** A table name as import stores it; a name that cannot be made valid is a 500 (no metadata). */
export function sanitizeTable(name: string): string {
  try {
    return sanitizeTableName(name);
  } catch {
    throw internalError();
  }
}

/** Stream name → its primary key (null: append mode). */
export type Streams = Map<string, string[][] | null>;

export interface ImportMessage {
  tableName: string;
  data: unknown;
}

/** AirbyteImportArgs, checked in serde's order. */
export function parseImportBody(body: unknown): { tables: Streams; messages: ImportMessage[] } {
  if (!isObj(body)) throw deserializeBody("invalid type: expected struct AirbyteImportArgs at line 1 column 1");
  if (!("tables" in body)) throw missing("tables");
  if (!("messages" in body)) throw missing("messages");
  const { tables, messages } = body;
  if (!isObj(tables)) throw deserializeBody("invalid type: expected a map at line 1 column 2");
  if (!Array.isArray(messages)) throw deserializeBody("invalid type: expected a sequence at line 1 column 2");
  const out: Streams = new Map();
  for (const [name, t] of Object.entries(tables)) {
    if (!isObj(t)) throw deserializeBody("invalid type: expected struct at line 1 column 2");
    if (!("jsonSchema" in t)) throw missing("jsonSchema");
    const pk = t.primaryKey;
    if (pk !== undefined && pk !== null && !isPathList(pk)) {
      throw deserializeBody("invalid type: expected a sequence of sequences of strings at line 1 column 2");
    }
    out.set(name, (pk as string[][] | undefined) ?? null);
  }
  const msgs = messages.map((m): ImportMessage => {
    if (!isObj(m)) throw deserializeBody("invalid type: expected struct at line 1 column 2");
    if (typeof m.tableName !== "string") throw missing("tableName");
    if (!("data" in m)) throw missing("data");
    return { tableName: m.tableName, data: m.data };
  });
  return { tables: out, messages: msgs };
}

/** What conversion needs to know of a table: its stream's primary key and its index fields. */
export interface TableKeys {
  pk: string[][] | null | undefined;
  indexFields: string[][] | undefined;
  /** The index fields are the primary key: one key serves both. */
  same: boolean;
}

/** What conversion needs of each table, looked up once per table and request. */
export function tableKeys(dep: Deployment, tables: Streams): (table: string) => TableKeys {
  const pks = new Map<string, string[][] | null>();
  for (const [name, pk] of tables) {
    try {
      pks.set(sanitizeTableName(name), pk);
    } catch {
      // An invalid table name fails after conversion, when the streams are checked.
    }
  }
  const known = new Map<string, TableKeys>();
  return (table: string): TableKeys => {
    let k = known.get(table);
    if (k === undefined) {
      const pk = pks.get(table);
      const indexFields = dep.store.getTable(table)?.pkIndex?.fields;
      const same = pk !== null && pk !== undefined && indexFields !== undefined && sameFields(pk, indexFields);
      k = { pk, indexFields, same };
      known.set(table, k);
    }
    return k;
  };
}

function sameFields(a: string[][], b: string[][]): boolean {
  return a.length === b.length && a.every((p, i) => p.length === b[i]?.length && p.every((f, j) => f === b[i]?.[j]));
}

/**
 * The body `{"<field>": ["name", …]}` of indexes_ready and clear_tables, with the server's order of
 * checks: authentication, then the body, then the permission.
 */
export function stringListBody(ctx: RequestCtx, field: string): string[] {
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
