/** Streaming export routes (§4–§8): list_snapshot, document_deltas, json_schemas and friends. */
import { requireOperation } from "./auth.js";
import type { Deployment } from "./context.js";
import { badQuery, badRequest, deserializeBody, HttpError, internalError } from "./errors.js";
import { decodeId } from "./ids.js";
import { type Reply, type RequestCtx, json } from "./http-types.js";
import { PageBuffer } from "./page-buffer.js";
import { ExportFilter } from "./selection.js";
import { mergeShapes, NEVER, type Shape, shapeOf, shapeSchema } from "./shapes.js";
import { type LogEntry, type Rev, revAt, revDoc, type Tablet, valueHead } from "./store.js";
import { type ConvexObject, encodeFields, type Format, parseFormat } from "./values.js";

const I64_MAX = (1n << 63n) - 1n;
/** The id the server puts in a cursor that moves on to the next table (min id of table 1). */
const MIN_ID = "0400000000000000000000000000248";

interface ExportArgs {
  snapshot?: bigint;
  cursor?: string;
  deltasCursor?: bigint;
  format?: string;
  filter: () => ExportFilter;
}

function ensureEnabled(dep: Deployment): void {
  if (!dep.streamingExportEnabled) {
    throw new HttpError(
      403,
      "StreamingExportNotEnabled",
      "Streaming export is not available on your current subscription. See https://www.convex.dev/plans to upgrade.",
    );
  }
}

function parseI64Query(name: string, s: string): bigint {
  if (!/^[+-]?\d+$/.test(s)) throw badQuery(`${name}: invalid digit found in string`);
  const v = BigInt(s);
  if (v > I64_MAX || v < -I64_MAX - 1n) throw badQuery(`${name}: number too large to fit in target type`);
  return v;
}

function parseBoolQuery(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  if (v === "true") return true;
  if (v === "false") return false;
  throw badQuery(`${name}: provided string was not \`true\` or \`false\``);
}

/** SelectionArg is untagged: Exact, SingleTable, SingleComponent, then Everything. */
function selectionFrom(get: (k: string) => unknown): () => ExportFilter {
  return () => {
    const sel = get("selection");
    if (sel !== undefined) {
      const f = ExportFilter.fromSelection(sel);
      if (f !== undefined) return f;
    }
    const table = get("tableName") ?? get("table_name");
    const component = get("component");
    if (typeof table === "string" && (component === undefined || component === null || typeof component === "string")) {
      return ExportFilter.singleTable(table, typeof component === "string" ? component : "");
    }
    if (typeof component === "string") return ExportFilter.singleComponent(component);
    return ExportFilter.everything();
  };
}

function queryArgs(q: URLSearchParams, cursorIsInt: boolean): ExportArgs {
  const args: ExportArgs = { filter: selectionFrom((k) => q.get(k) ?? undefined) };
  const snapshot = q.get("snapshot");
  if (snapshot !== null) args.snapshot = parseI64Query("snapshot", snapshot);
  const cursor = q.get("cursor");
  if (cursor !== null) {
    if (cursorIsInt) args.deltasCursor = parseI64Query("cursor", cursor);
    else args.cursor = cursor;
  }
  const format = q.get("format");
  if (format !== null) args.format = format;
  return args;
}

function typeName(v: unknown): string {
  if (typeof v === "string") return `string ${JSON.stringify(v)}`;
  if (typeof v === "number") return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
  if (typeof v === "boolean") return `boolean \`${v}\``;
  if (Array.isArray(v)) return "sequence";
  return v === null ? "null" : "map";
}

function bodyArgs(body: unknown, cursorIsInt: boolean): ExportArgs {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw deserializeBody(`invalid type: ${typeName(body)}, expected struct at line 1 column 1`);
  }
  const o = body as Record<string, unknown>;
  const args: ExportArgs = { filter: selectionFrom((k) => o[k]) };
  const int = (v: unknown): bigint | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === "bigint") return v;
    if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
    throw deserializeBody(`invalid type: ${typeName(v)}, expected i64`);
  };
  const str = (v: unknown): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string") return v;
    throw deserializeBody(`invalid type: ${typeName(v)}, expected a string`);
  };
  args.snapshot = int(o.snapshot);
  if (cursorIsInt) args.deltasCursor = int(o.cursor);
  else args.cursor = str(o.cursor);
  args.format = str(o.format);
  return args;
}

function formatOrThrow(s: string | undefined): Format {
  const f = parseFormat(s);
  if (f === undefined) throw badRequest("BadFormat", `format param must be one of [\`json\`]. Got ${s}`);
  return f;
}

type ColumnFilter = ReturnType<ExportFilter["columnFilter"]>;

/**
 * Writes one exported value: metadata first, then the document's fields in sorted order. `keep`
 * is the table's column selection (`filter.columnFilter`).
 */
function writeValue(page: PageBuffer, t: Tablet, rev: Rev, format: Format, keep: ColumnFilter, deleted?: boolean): void {
  page.text(valueHead(t, rev.ts, deleted));
  if (keep === undefined && (format === "convex_encoded_json" || (format === "json" && rev.clean === undefined))) {
    // The usual case: the stored bytes as they are.
    if (rev.end > rev.start) {
      page.byte(0x2c);
      page.range(rev.buf as Buffer, rev.start, rev.end);
    }
  } else {
    let fields: string;
    if (keep === undefined && format === "json") fields = rev.clean as string;
    else {
      const doc = revDoc(rev) as ConvexObject;
      const omit = keep === undefined ? undefined : new Set(Object.keys(doc).filter((k) => !keep(k)));
      fields = encodeFields(doc, format, omit);
    }
    if (fields !== "") {
      page.byte(0x2c);
      page.text(fields);
    }
  }
  page.byte(0x7d);
}

function parseSnapshotCursor(s: string): { tabletHex: string; id: string } {
  const invalid = badRequest(
    "InvalidListSnapshotCursor",
    "Invalid value for the `cursor` argument of list_snapshot. Use a `cursor` returned by a previous list_snapshot call, and treat it as an opaque value.",
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch {
    throw invalid;
  }
  if (typeof parsed !== "object" || parsed === null) throw invalid;
  const { tablet, id } = parsed as { tablet?: unknown; id?: unknown };
  if (typeof tablet !== "string" || typeof id !== "string" || !/^[A-Za-z0-9_-]{22}$/.test(tablet)) throw invalid;
  if (id !== MIN_ID && decodeId(id) === undefined) throw invalid;
  return { tabletHex: Buffer.from(tablet, "base64url").toString("hex"), id };
}

function listSnapshot(dep: Deployment, args: ExportArgs): Reply {
  const filter = args.filter();
  const { store, knobs } = dep;
  const now = store.clock.readTs();
  let snapshot = now;
  if (args.snapshot !== undefined) {
    if (args.snapshot < 0n) throw internalError();
    if (args.snapshot > now) throw badRequest("SnapshotTooNew", `Snapshot value ${args.snapshot} is in the future.`);
    if (store.clock.nowNs() - args.snapshot > BigInt(knobs.snapshotMaxAgeMs) * 1_000_000n) {
      throw badRequest("SnapshotTooOld", `Snapshot value ${args.snapshot} is too far in the past.`);
    }
    snapshot = args.snapshot;
  }
  const cursor = args.cursor === undefined ? undefined : parseSnapshotCursor(args.cursor);
  const tablets = store.tablets
    .filter((t) => !t.system && t.existsAt(snapshot) && filter.includesTable(t.component, t.name))
    .filter((t) => cursor === undefined || t.tabletHex >= cursor.tabletHex)
    .sort((a, b) => (a.tabletHex < b.tabletHex ? -1 : 1));
  const format = formatOrThrow(args.format);
  const table = tablets[0];
  if (table === undefined) return json(`{"values":[],"snapshot":${snapshot},"cursor":null,"hasMore":false}`);
  const ids = table.sortedIds();
  let i = 0;
  if (cursor !== undefined && cursor.tabletHex === table.tabletHex && cursor.id !== MIN_ID) {
    // Binary search for the first id after the cursor.
    let hi = ids.length;
    while (i < hi) {
      const mid = (i + hi) >>> 1;
      if ((ids[mid] as string) <= cursor.id) i = mid + 1;
      else hi = mid;
    }
  }
  const keep = filter.columnFilter(table.component, table.name);
  // Usually nothing was written after the snapshot: skip the per-document revision walk.
  const headsVisible = table.newestTs <= snapshot;
  const page = new PageBuffer();
  page.text('{"values":[');
  let count = 0;
  let lastId: string | undefined;
  for (; i < ids.length && count < knobs.snapshotPageSize; i++) {
    const id = ids[i] as string;
    const rev = headsVisible ? table.docs.get(id) : revAt(table.docs.get(id), snapshot);
    if (rev === undefined || rev.buf === null) continue;
    if (count++ > 0) page.byte(0x2c);
    writeValue(page, table, rev, format, keep);
    lastId = id;
  }
  let next: string | null;
  if (count >= knobs.snapshotPageSize && lastId !== undefined) {
    next = JSON.stringify({ tablet: table.tabletId, id: lastId });
  } else {
    const following = tablets[1];
    next = following === undefined ? null : JSON.stringify({ tablet: following.tabletId, id: MIN_ID });
  }
  const cursorText = next === null ? "null" : JSON.stringify(next);
  page.text(`],"snapshot":${snapshot},"cursor":${cursorText},"hasMore":${next !== null}}`);
  return json(page.bytes());
}

function documentDeltas(dep: Deployment, args: ExportArgs): Reply {
  const filter = args.filter();
  const { store, knobs } = dep;
  if (args.deltasCursor === undefined) {
    throw badRequest("DocumentDeltasCursorRequired", "/api/document_deltas requires a cursor");
  }
  const cursor = args.deltasCursor;
  if (cursor < 0n) throw internalError();
  const upper = store.clock.readTs();
  const minTs = cursor + 1n;
  if (minTs < store.clock.nowNs() - BigInt(knobs.retentionMs) * 1_000_000n) {
    throw badRequest(
      "InvalidWindowToReadDocuments",
      `Trying to synchronize from timestamp ${minTs}, which is older than the database\u2019s retention window. This may happen if you paused your Fivetran or Airbyte connector for a long period of time. Please perform a full sync of the connector. See https://fivetran.com/docs/connectors/troubleshooting/trigger-historical-re-syncs or https://docs.airbyte.com/platform/operator-guides/refreshes`,
    );
  }
  const log = store.log;
  const entries: LogEntry[] = [];
  let rowsRead = 0;
  let newCursor: bigint | undefined;
  let hasMore = false;
  for (let i = store.logIndexAfter(cursor); i < log.length; i++) {
    const e = log[i] as LogEntry;
    if (e.ts > upper) break;
    if (newCursor !== undefined && e.ts > newCursor) {
      hasMore = true;
      break;
    }
    rowsRead++;
    const t = e.tablet;
    if (!t.system && t.deletedTs === undefined && filter.includesTable(t.component, t.name)) entries.push(e);
    if (newCursor === undefined && (rowsRead >= knobs.deltasPageSize || entries.length >= knobs.deltasPageSize)) {
      newCursor = e.ts;
    }
  }
  const format = formatOrThrow(args.format);
  // The column selection of each table, looked up once per page.
  const keeps = new Map<Tablet, ColumnFilter>();
  const page = new PageBuffer();
  page.text('{"values":[');
  entries.forEach((e, k) => {
    if (k > 0) page.byte(0x2c);
    if (e.buf === null) page.text(`${valueHead(e.tablet, e.ts, true)},"_id":${JSON.stringify(e.id)}}`);
    else {
      let keep = keeps.get(e.tablet);
      if (keep === undefined && !keeps.has(e.tablet)) {
        keep = filter.columnFilter(e.tablet.component, e.tablet.name);
        keeps.set(e.tablet, keep);
      }
      writeValue(page, e.tablet, e, format, keep, false);
    }
  });
  const next = newCursor ?? upper;
  page.text(`],"cursor":${next},"hasMore":${hasMore}}`);
  return json(page.bytes());
}

/** The latest shape of a tablet's documents, cached by the tablet's write version. */
const shapeCache = new WeakMap<Tablet, { version: number; shape: Shape }>();
export function tabletShape(dep: Deployment, t: Tablet): Shape {
  const cached = shapeCache.get(t);
  if (cached?.version === t.version) return cached.shape;
  const tableOf = (n: number) => {
    const x = dep.store.tableByNumber(n);
    return x === undefined || x.system ? undefined : x.name;
  };
  let shape: Shape = NEVER;
  for (const rev of t.docs.values()) {
    if (rev.buf === null) continue;
    shape = mergeShapes(shape, shapeOf(revDoc(rev) as ConvexObject, tableOf));
  }
  shapeCache.set(t, { version: t.version, shape });
  return shape;
}

const DELTA_PROPS = '"_table":{"type":"string"},"_component":{"type":"string"},"_ts":{"type":"integer"},"_deleted":{"type":"boolean"}';
const SCHEMA_URL = '"$schema":"http://json-schema.org/draft-07/schema#"';

function tableSchema(dep: Deployment, t: Tablet, format: Format, delta: boolean): string {
  const extraProps = delta ? DELTA_PROPS : "";
  const shape = tabletShape(dep, t);
  const emptyShape: Shape = {
    k: "object",
    fields: new Map([
      ["_creationTime", { shape: { k: "float64", special: false }, optional: false }],
      ["_id", { shape: { k: "string" }, optional: false }],
    ]),
  };
  let text: string;
  if (shape.k === "never") {
    text = shapeSchema(emptyShape, format, { table: t.name, extraProps });
  } else if (shape.k === "object") {
    text = shapeSchema(shape, format, { table: t.name, extraProps });
  } else {
    text = activeSchemaFor(dep, t.name, delta);
  }
  return `${text.slice(0, -1)},${SCHEMA_URL}}`;
}

/** The fallback when the data shape is not an object: the test-provided active schema. */
function activeSchemaFor(dep: Deployment, table: string, delta: boolean): string {
  if (dep.activeSchema === undefined) {
    throw badRequest("NoSchemaForExport", "There is no active schema, which is needed for streaming export.");
  }
  const s = dep.activeSchema.get(table);
  if (typeof s !== "object" || s === null) {
    throw badRequest("NoTableDefinitionForExport", `The table "${table}" does not have a schema, which is needed for streaming export.`);
  }
  const { $schema: _ignored, ...rest } = s as Record<string, unknown>;
  const props = rest.properties;
  if (delta && typeof props === "object" && props !== null) {
    rest.properties = {
      ...(props as object),
      _table: { type: "string" },
      _component: { type: "string" },
      _ts: { type: "integer" },
      _deleted: { type: "boolean" },
    };
  }
  return JSON.stringify(rest);
}

function userTablets(dep: Deployment): Tablet[] {
  return dep.store
    .activeTablets()
    .filter((t) => !t.system)
    .sort((a, b) => (a.component === b.component ? (a.name < b.name ? -1 : 1) : a.component < b.component ? -1 : 1));
}

function jsonSchemas(ctx: RequestCtx): Reply {
  const { dep, query: q } = ctx;
  const delta = parseBoolQuery(q, "deltaSchema");
  const byComponent = parseBoolQuery(q, "byComponent");
  const formatArg = q.get("format") ?? undefined;
  return withExportAuth(ctx, () => {
    const format = formatOrThrow(formatArg);
    const tablets = userTablets(dep);
    if (!byComponent) {
      // Root first, then children; a child's table overwrites a root table of the same name.
      const byName = new Map<string, string>();
      for (const t of tablets) byName.set(t.name, tableSchema(dep, t, format, delta));
      return json(`{${[...byName].map(([n, s]) => `${JSON.stringify(n)}:${s}`).join(",")}}`);
    }
    const comps = new Map<string, string[]>();
    for (const t of tablets) {
      const list = comps.get(t.component) ?? [];
      list.push(`${JSON.stringify(t.name)}:${tableSchema(dep, t, format, delta)}`);
      comps.set(t.component, list);
    }
    return json(`{${[...comps].map(([c, l]) => `${JSON.stringify(c)}:{${l.join(",")}}`).join(",")}}`);
  });
}

/** Identity, then the plan gate, then the ViewData permission. */
function withExportAuth(ctx: RequestCtx, fn: () => Reply): Reply {
  const identity = ctx.identity();
  ensureEnabled(ctx.dep);
  requireOperation(identity, "view");
  return fn();
}

function tableColumnNames(dep: Deployment): Reply {
  const comps = new Map<string, string[]>();
  for (const t of userTablets(dep)) {
    const shape = tabletShape(dep, t);
    const columns = shape.k === "object" ? [...shape.fields.keys()].sort() : ["_creationTime", "_id"];
    const list = comps.get(t.component) ?? [];
    list.push(JSON.stringify({ name: t.name, columns }));
    comps.set(t.component, list);
  }
  return json(`{"byComponent":{${[...comps].map(([c, l]) => `${JSON.stringify(c)}:[${l.join(",")}]`).join(",")}}}`);
}

export type RouteHandler = (ctx: RequestCtx) => Reply;

/** GET export routes: query-string errors come before authentication. */
function exportGet(run: (dep: Deployment, args: ExportArgs) => Reply, cursorIsInt: boolean): RouteHandler {
  return (ctx) => {
    const args = queryArgs(ctx.query, cursorIsInt);
    return withExportAuth(ctx, () => run(ctx.dep, args));
  };
}

/** POST export routes: authentication, then the JSON body, then the plan gate and permission. */
function exportPost(run: (dep: Deployment, args: ExportArgs) => Reply, cursorIsInt: boolean): RouteHandler {
  return (ctx) => {
    const identity = ctx.identity();
    const args = bodyArgs(ctx.jsonBody(), cursorIsInt);
    ensureEnabled(ctx.dep);
    requireOperation(identity, "view");
    return run(ctx.dep, args);
  };
}

export const exportRoutes: Record<string, Partial<Record<"GET" | "POST", RouteHandler>>> = {
  "/api/list_snapshot": { GET: exportGet(listSnapshot, false), POST: exportPost(listSnapshot, false) },
  "/api/document_deltas": { GET: exportGet(documentDeltas, true), POST: exportPost(documentDeltas, true) },
  "/api/json_schemas": {
    GET: jsonSchemas,
  },
  "/api/test_streaming_export_connection": {
    GET: (ctx) => withExportAuth(ctx, () => json("null")),
  },
  "/api/get_table_column_names": {
    GET: (ctx) => withExportAuth(ctx, () => tableColumnNames(ctx.dep)),
  },
};
