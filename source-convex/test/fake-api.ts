/**
 * An in-memory stand-in for Convex streaming export, enough to exercise the read logic: a log of
 * writes with increasing timestamps, list_snapshot per table in pages, document_deltas in pages.
 */
import type { DeltasPage, DeltasRequest, ExportApi, ExportedDoc, ListSnapshotRequest, SnapshotPage } from "../src/api.js";

interface LogEntry {
  ts: bigint;
  component: string;
  table: string;
  id: string;
  doc: Record<string, unknown> | null;
}

export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status = 400,
  ) {
    super(`${code} (fake)`);
  }
}

export class FakeConvex implements ExportApi {
  private log: LogEntry[] = [];
  private ts: bigint;
  private nextId = 0;
  snapshotPageSize = 3;
  deltasPageSize = 4;
  /** Emulates convex-backend #302: tableName is ignored. */
  ignoreTableName = false;
  /** Snapshots older than this (ns) are refused with SnapshotTooOld. */
  minSnapshot = 0n;
  /** Delta cursors older than this are refused with InvalidWindowToReadDocuments. */
  minDeltaCursor = 0n;
  calls: { route: string; args: unknown }[] = [];
  failNext: Map<string, Error> = new Map();

  constructor(start = 1_700_000_000_000_000_000n) {
    this.ts = start;
  }

  now(): bigint {
    return this.ts;
  }

  tick(by = 1000n): bigint {
    this.ts += by;
    return this.ts;
  }

  insert(table: string, fields: Record<string, unknown>, component = ""): string {
    const id = `${table}_${String(this.nextId++).padStart(6, "0")}`;
    this.write(table, id, { _id: id, _creationTime: Number(this.ts / 1_000_000n), ...fields }, component);
    return id;
  }

  update(table: string, id: string, fields: Record<string, unknown>, component = ""): void {
    const cur = this.current(component, table).get(id);
    if (!cur) throw new Error(`no ${id}`);
    const { _ts: _, ...doc } = cur;
    this.write(table, id, { ...doc, ...fields }, component);
  }

  remove(table: string, id: string, component = ""): void {
    this.write(table, id, null, component);
  }

  private write(table: string, id: string, doc: Record<string, unknown> | null, component: string): void {
    this.tick();
    this.log.push({ ts: this.ts, component, table, id, doc });
  }

  /** Documents of a table at a timestamp, by id (sorted). */
  current(component: string, table: string, at = this.ts): Map<string, Record<string, unknown> & { _ts: bigint }> {
    const m = new Map<string, Record<string, unknown> & { _ts: bigint }>();
    for (const e of this.log) {
      if (e.ts > at || e.table !== table || e.component !== component) continue;
      if (e.doc === null) m.delete(e.id);
      else m.set(e.id, { ...e.doc, _ts: e.ts });
    }
    return new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  tables(): { component: string; table: string }[] {
    const seen = new Map<string, { component: string; table: string }>();
    for (const e of this.log) seen.set(`${e.component}/${e.table}`, { component: e.component, table: e.table });
    return [...seen.values()].sort((a, b) => (`${a.component}/${a.table}` < `${b.component}/${b.table}` ? -1 : 1));
  }

  private maybeFail(route: string): void {
    const err = this.failNext.get(route);
    if (err) {
      this.failNext.delete(route);
      throw err;
    }
  }

  async jsonSchemas(): Promise<unknown> {
    this.calls.push({ route: "json_schemas", args: {} });
    const out: Record<string, Record<string, unknown>> = {};
    for (const { component, table } of this.tables()) {
      out[component] ??= {};
      (out[component] as Record<string, unknown>)[table] = { type: "object", properties: { _id: { type: "string" }, _creationTime: { type: "number" } } };
    }
    return out;
  }

  async listSnapshot(args: ListSnapshotRequest): Promise<SnapshotPage> {
    this.calls.push({ route: "list_snapshot", args });
    await Promise.resolve();
    this.maybeFail("list_snapshot");
    const snapshot = args.snapshot ?? this.ts;
    if (snapshot < this.minSnapshot) throw new ApiError("SnapshotTooOld");
    // Iterate tables in order; the cursor is "<component>/<table>|<lastId>".
    const all = this.tables().filter((t) => this.ignoreTableName || args.tableName === undefined || (t.table === args.tableName && t.component === (args.component ?? "")));
    let [curTable, lastId] = args.cursor ? (args.cursor.split("|") as [string, string]) : [all[0] ? `${all[0].component}/${all[0].table}` : "", ""];
    const idx = all.findIndex((t) => `${t.component}/${t.table}` === curTable);
    const t = all[idx];
    if (!t) return { values: [], snapshot, cursor: null, hasMore: false };
    const docs = [...this.current(t.component, t.table, snapshot).values()].filter((d) => String(d._id) > lastId);
    const page = docs.slice(0, this.snapshotPageSize);
    const values: ExportedDoc[] = page.map((d) => ({ _component: t.component, _table: t.table, ...d }));
    if (docs.length > page.length) {
      lastId = String(page[page.length - 1]?._id);
      return { values, snapshot, cursor: `${curTable}|${lastId}`, hasMore: true };
    }
    const nextT = all[idx + 1];
    if (nextT) {
      curTable = `${nextT.component}/${nextT.table}`;
      return { values, snapshot, cursor: `${curTable}|`, hasMore: true };
    }
    return { values, snapshot, cursor: null, hasMore: false };
  }

  async documentDeltas(args: DeltasRequest): Promise<DeltasPage> {
    this.calls.push({ route: "document_deltas", args });
    await Promise.resolve();
    this.maybeFail("document_deltas");
    if (args.cursor < this.minDeltaCursor) throw new ApiError("InvalidWindowToReadDocuments");
    const matching = this.log.filter(
      (e) =>
        e.ts > args.cursor &&
        (this.ignoreTableName || args.tableName === undefined || e.table === args.tableName) &&
        (this.ignoreTableName || args.component === undefined || e.component === args.component),
    );
    const page = matching.slice(0, this.deltasPageSize);
    const hasMore = matching.length > page.length;
    const values = page.map((e) => (e.doc === null ? { _component: e.component, _table: e.table, _ts: e.ts, _deleted: true, _id: e.id } : { _component: e.component, _table: e.table, ...e.doc, _ts: e.ts, _deleted: false }));
    const cursor = hasMore ? (page[page.length - 1]?.ts ?? args.cursor) : this.ts;
    return { values: values as ExportedDoc[], cursor, hasMore };
  }

  async testStreamingExportConnection(): Promise<void> {
    this.maybeFail("test_streaming_export_connection");
  }

  async getTableColumnNames() {
    return { byComponent: {} };
  }
}
