/** ConvexEmulator: an in-process stand-in for a Convex deployment's streaming export/import APIs. */
import { type KeyRole, stripKeyPrefix as stripPrefix } from "./auth.js";
import { Clock, type ClockOptions } from "./clock.js";
import { DEFAULT_KNOBS, type Deployment, type Knobs } from "./context.js";
import type { FaultSpec } from "./faults.js";
import { decodeId, Rng } from "./ids.js";
import { clearTablesAtomically, finishBackfills } from "./import-routes.js";
import { validateDocument } from "./limits.js";
import { isComponentPath, isUserTableName } from "./names.js";
import { EmulatorServer, type RequestLogEntry } from "./server.js";
import { revDoc, Store, type Tablet, type Txn } from "./store.js";
import { type ConvexObject, isObject, normalizeValue, sortedKeys } from "./values.js";

export interface EmulatorKey {
  key: string;
  /** `full` may export and import; `readonly` may export but gets 403 on import. */
  role: KeyRole;
}

export interface EmulatorOptions {
  port?: number;
  host?: string;
  /** The full admin/deploy key (default "emulator-admin-key"). */
  adminKey?: string;
  /** A read-only deploy key, if any. */
  readOnlyKey?: string;
  /** Further keys. Any other key (e.g. another deployment's) gets 401 BadAdminKey. */
  keys?: EmulatorKey[];
  /** Latency added to every request, in ms. */
  latencyMs?: number;
  knobs?: Partial<Knobs>;
  clock?: ClockOptions;
  /** The plan gate: false gives 403 StreamingExportNotEnabled on export routes (default true). */
  streamingExportEnabled?: boolean;
  /** Seed for ids and tablet ids (default 1). */
  seed?: number;
}

/** A document as callers pass it: Convex values, with ArrayBuffer accepted for bytes. */
export type DocInput = Record<string, unknown>;

/** Writes inside one transaction (one commit timestamp). */
export interface EmulatorTxn {
  readonly ts: bigint;
  insert(table: string, doc: DocInput, opts?: { component?: string }): string;
  /** Shallow merge; a field set to undefined is removed. */
  patch(id: string, fields: DocInput): void;
  /** Replaces all user fields, keeping `_id` and `_creationTime`. */
  replace(id: string, doc: DocInput): void;
  delete(id: string): void;
  get(id: string): ConvexObject | null;
  /** A write to a hidden system table: never exported, counts toward the deltas budget. */
  systemWrite(table?: string): void;
}

export class ConvexEmulator {
  readonly knobs: Knobs;
  readonly clock: Clock;
  private readonly store: Store;
  private readonly dep: Deployment;
  private readonly server: EmulatorServer;
  private port: number | undefined;
  readonly adminKey: string;
  readonly readOnlyKey: string | undefined;

  constructor(private readonly opts: EmulatorOptions = {}) {
    this.knobs = { ...DEFAULT_KNOBS, ...opts.knobs };
    this.clock = new Clock(opts.clock);
    this.store = new Store(this.clock, new Rng(opts.seed ?? 1));
    this.adminKey = opts.adminKey ?? "emulator-admin-key";
    this.readOnlyKey = opts.readOnlyKey;
    const keys = new Map<string, KeyRole>();
    const add = (k: string, role: KeyRole) => keys.set(stripPrefix(k), role);
    add(this.adminKey, "full");
    if (opts.readOnlyKey !== undefined) add(opts.readOnlyKey, "readonly");
    for (const k of opts.keys ?? []) add(k.key, k.role);
    this.dep = {
      store: this.store,
      knobs: this.knobs,
      keys,
      streamingExportEnabled: opts.streamingExportEnabled ?? true,
      activeSchema: undefined,
    };
    this.server = new EmulatorServer(this.dep, { latencyMs: opts.latencyMs ?? 0 });
  }

  async start(): Promise<string> {
    this.port = await this.server.listen(this.opts.port ?? 0, this.opts.host ?? "127.0.0.1");
    return this.url;
  }

  async stop(): Promise<void> {
    await this.server.close();
  }

  get url(): string {
    if (this.port === undefined) throw new Error("ConvexEmulator not started");
    return `http://${this.opts.host ?? "127.0.0.1"}:${this.port}`;
  }

  // ---- data API ----

  /** Inserts documents in one transaction; returns their ids. */
  insert(table: string, docs: DocInput[], opts: { component?: string } = {}): string[] {
    return this.transaction((tx) => docs.map((d) => tx.insert(table, d, opts)));
  }

  transaction<T>(fn: (tx: EmulatorTxn) => T): T {
    return this.store.transact((tx) => fn(this.wrap(tx)));
  }

  /** Current documents of a table in `_id` order (empty if the table does not exist). */
  readTable(table: string, component = ""): ConvexObject[] {
    const t = this.store.getTable(table, component);
    if (t === undefined) return [];
    const out: ConvexObject[] = [];
    for (const id of t.sortedIds()) {
      const rev = t.docs.get(id);
      if (rev !== undefined && rev.buf !== null) out.push(revDoc(rev) as ConvexObject);
    }
    return out;
  }

  /** Active user tables as `{component, name, count}`. */
  tables(): { component: string; name: string; count: number }[] {
    return this.store
      .activeTablets()
      .filter((t) => !t.system)
      .map((t) => ({ component: t.component, name: t.name, count: this.readTable(t.name, t.component).length }));
  }

  /** Whether the table has the Airbyte primary-key index, and its state. */
  primaryKeyIndex(table: string): { fields: string[][]; state: "backfilling" | "enabled" } | undefined {
    const idx = this.store.getTable(table)?.pkIndex;
    return idx === undefined ? undefined : { fields: idx.fields, state: idx.state };
  }

  finishIndexBackfills(): void {
    finishBackfills(this.store.activeTablets());
  }

  /** Same as PUT clear_tables: one atomic tablet swap, no delete deltas. */
  clearTables(names: string[], component = ""): void {
    clearTablesAtomically(this.dep, names, component);
  }

  /** `n` writes to a hidden system table, each in its own transaction. */
  systemWrites(n: number, table = "_scheduled_functions"): void {
    for (let i = 0; i < n; i++) this.transaction((tx) => tx.systemWrite(table));
  }

  /** The latest commit timestamp. */
  get latestTimestamp(): bigint {
    return this.clock.latestCommit;
  }

  advanceClock(ms: number): void {
    this.clock.advance(ms);
  }

  setStreamingExportEnabled(enabled: boolean): void {
    this.dep.streamingExportEnabled = enabled;
  }

  /** Sets a table's schema.ts stand-in (a JSON schema); `null` removes it from an active schema. */
  setActiveSchema(table: string, schema: unknown): void {
    this.dep.activeSchema ??= new Map();
    if (schema === null) this.dep.activeSchema.delete(table);
    else this.dep.activeSchema.set(table, schema);
  }

  /** No active schema at all. */
  clearActiveSchema(): void {
    this.dep.activeSchema = undefined;
  }

  // ---- observation and faults ----

  get requests(): readonly RequestLogEntry[] {
    return this.server.requests;
  }

  clearRequests(): void {
    this.server.requests.length = 0;
  }

  injectFault(spec: FaultSpec): number {
    return this.server.faults.add(spec);
  }

  removeFault(id: number): void {
    this.server.faults.remove(id);
  }

  clearFaults(): void {
    this.server.faults.clear();
  }

  private locate(id: string): Tablet {
    const decoded = decodeId(id);
    const t = decoded === undefined ? undefined : this.store.tabletForId(id, decoded.tableNumber);
    if (t === undefined) throw new Error(`no document ${id}`);
    return t;
  }

  private wrap(tx: Txn): EmulatorTxn {
    const get = (id: string) => tx.get(id, this.locate(id));
    const mustGet = (id: string) => {
      const d = get(id);
      if (d === null) throw new Error(`document ${id} was deleted`);
      return d;
    };
    return {
      ts: tx.ts,
      insert: (table, doc, opts = {}) => {
        const component = opts.component ?? "";
        if (!isUserTableName(table) || !isComponentPath(component)) throw new Error(`invalid table ${component}/${table}`);
        const fields = userFields(doc);
        validateDocument(fields);
        return tx.insert(tx.table(table, component), fields);
      },
      patch: (id, fields) => {
        const old = mustGet(id);
        const next: ConvexObject = { ...old };
        for (const [k, v] of Object.entries(fields)) {
          if (v === undefined) delete next[k];
          else next[k] = normalizeValue(v);
        }
        validateDocument(next);
        tx.write(this.locate(id), id, next);
      },
      replace: (id, doc) => {
        const old = mustGet(id);
        const next: ConvexObject = { ...userFields(doc), _id: id, _creationTime: old._creationTime as number };
        validateDocument(next);
        tx.write(this.locate(id), id, next);
      },
      delete: (id) => {
        mustGet(id);
        tx.write(this.locate(id), id, null);
      },
      get,
      systemWrite: (table = "_scheduled_functions") => tx.systemWrite(table),
    };
  }
}

function userFields(doc: DocInput): ConvexObject {
  const v = normalizeValue(doc);
  if (!isObject(v)) throw new Error("a document must be an object");
  const out: ConvexObject = {};
  for (const k of sortedKeys(v)) if (k !== "_id") out[k] = v[k] as ConvexObject[string];
  return out;
}
