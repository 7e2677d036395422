/** The Airbyte primary-key indexes (§10.3, §10.4): add_primary_key_indexes and primary_key_indexes_ready. */
import { requireOperation } from "./auth.js";
import { badRequest, deserializeBody, type HttpError } from "./errors.js";
import { empty, json, type Reply, type RequestCtx } from "./http-types.js";
import { isObj, isPathList, missing, sanitizeTable, stringListBody } from "./import-args.js";
import { INDEX_SUFFIX } from "./import-write.js";
import { isIdentifier } from "./names.js";
import { type PkIndex, rebuildIndex, type Tablet } from "./store.js";
import { StrMap } from "./str-map.js";

function invalidPrimaryKey(paths: string[][]): HttpError {
  const debug = `[${paths.map((p) => `[${p.map((f) => JSON.stringify(f)).join(", ")}]`).join(", ")}]`;
  return badRequest(
    "InvalidPrimaryKey",
    `Invalid primary key: Identifiers must start with a letter and can only contain letters, digits, and underscores. ${debug}.`,
  );
}

export function addIndexes(ctx: RequestCtx): Reply {
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
        entries: new StrMap(),
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

export function indexesReady(ctx: RequestCtx): Reply {
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
