/**
 * Streaming import routes (§10). import_airbyte_records converts every message before any write:
 * the scanner (import-scan.ts) when it can, else the parsed path (import-convert.ts) with the
 * server's exact errors; then import-write.ts writes the records.
 */
import { requireOperation } from "./auth.js";
import type { Deployment } from "./context.js";
import { badRequest, deserializeBody } from "./errors.js";
import { empty, type Reply, type RequestCtx } from "./http-types.js";
import { isObj, missing, parseImportBody, type Streams, sanitizeTable, stringListBody, tableKeys } from "./import-args.js";
import { convertMessage } from "./import-convert.js";
import { addIndexes, indexesReady } from "./import-indexes.js";
import { type ImportRecord, releaseArena, resetArena } from "./import-record.js";
import { scanImportBody } from "./import-scan.js";
import { writeRecords } from "./import-write.js";
import { StrMap } from "./str-map.js";

export { finishBackfills } from "./import-indexes.js";

function importRecords(ctx: RequestCtx): Reply {
  const identity = ctx.identity();
  const chunks = ctx.jsonChunks();
  const dep = ctx.dep;
  try {
    let args = scanImportBody(chunks, dep);
    if (args === undefined) {
      const parsed = parseImportBody(ctx.parseJson(Buffer.concat(chunks).toString("utf8"), "float64"));
      requireOperation(identity, "import");
      const keysOf = tableKeys(dep, parsed.tables);
      const messages = parsed.messages;
      const records: ImportRecord[] = new Array(messages.length);
      resetArena();
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i] as (typeof messages)[number];
        const table = sanitizeTable(m.tableName);
        records[i] = convertMessage(m, table, keysOf(table));
        // Drop the parsed message: only its encoded form is needed from here on.
        messages[i] = undefined as unknown as typeof m;
      }
      args = { tables: parsed.tables, records };
    } else {
      requireOperation(identity, "import");
    }
    const streams: Streams = new Map();
    for (const [name, pk] of args.tables) {
      if (pk !== null && pk.length === 0) throw badRequest("EmptyPrimaryKey", "Primary keys cannot be empty");
      streams.set(sanitizeTable(name), pk);
    }
    writeRecords(dep, streams, args.records);
    return empty();
  } finally {
    releaseArena();
  }
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
      fresh.pkIndex = { ...old.pkIndex, state: "enabled", entries: new StrMap() };
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
