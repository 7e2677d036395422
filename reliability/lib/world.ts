/**
 * A "world": a source emulator, a destination emulator, the seeded data, and the config and catalog
 * files the connectors get. Each case builds its own world on free ports.
 */
import { ConvexEmulator, type FaultSpec } from "@convex-airbyte/integration-tests";
import type { CaseContext } from "./runner.js";

export type DestMode = "append_dedup" | "append" | "overwrite";

export interface WorldOptions {
  tables?: Record<string, number>;
  snapshotPageSize?: number;
  deltasPageSize?: number;
  destMode?: DestMode;
  syncMode?: "incremental" | "full_refresh";
  /** Extra destination config fields. */
  destConfig?: Record<string, unknown>;
  sourceConfig?: Record<string, unknown>;
}

export interface Doc {
  [k: string]: unknown;
}

let keyCounter = 0;

/** A deploy key shaped like a real one, unique per world so a leak names its case. */
export function makeKey(ctx: CaseContext, label: string): string {
  keyCounter++;
  const hex = Array.from({ length: 40 }, () => "0123456789abcdef"[ctx.int(0, 15)]).join("");
  return `prod:reliab-${label}-${keyCounter}|01${hex}`;
}

export class World {
  readonly source: ConvexEmulator;
  readonly dest: ConvexEmulator;
  readonly sourceKey: string;
  readonly destKey: string;
  readonly tables: string[];
  readonly destMode: DestMode;
  readonly syncMode: "incremental" | "full_refresh";
  sourceUrl = "";
  destUrl = "";
  private docCounter = 0;

  constructor(
    readonly ctx: CaseContext,
    readonly opts: WorldOptions = {},
  ) {
    this.sourceKey = makeKey(ctx, "src");
    this.destKey = makeKey(ctx, "dst");
    ctx.secrets.add(this.sourceKey);
    ctx.secrets.add(this.destKey);
    this.source = new ConvexEmulator({
      adminKey: this.sourceKey,
      seed: ctx.int(1, 1_000_000),
      knobs: { snapshotPageSize: opts.snapshotPageSize ?? 40, deltasPageSize: opts.deltasPageSize ?? 25 },
    });
    this.dest = new ConvexEmulator({ adminKey: this.destKey, seed: ctx.int(1, 1_000_000), knobs: { indexBackfillPolls: 1, indexBackfillMs: 50 } });
    this.tables = Object.keys(opts.tables ?? { users: 60, posts: 45 });
    this.destMode = opts.destMode ?? "append_dedup";
    this.syncMode = opts.syncMode ?? "incremental";
  }

  async start(): Promise<this> {
    this.sourceUrl = await this.source.start();
    this.destUrl = await this.dest.start();
    this.ctx.onCleanup(() => this.source.stop());
    this.ctx.onCleanup(() => this.dest.stop());
    for (const [t, n] of Object.entries(this.opts.tables ?? { users: 60, posts: 45 })) this.seed(t, n);
    return this;
  }

  /** A document with the value kinds that survive the trip exactly (strings, floats, booleans, null, nesting). */
  makeDoc(table: string): Doc {
    const i = this.docCounter++;
    const r = this.ctx.random;
    return {
      n: i,
      name: `${table}-${i}-${Math.floor(r() * 1e6).toString(36)}`,
      score: Math.round(r() * 1e6) / 100,
      active: r() < 0.5,
      note: r() < 0.2 ? null : `ü-${i} ✓ "quoted" \\ line\nbreak`,
      nested: { a: [1, 2.5, `x${i}`], b: { c: r() < 0.5 } },
    };
  }

  seed(table: string, n: number): string[] {
    const docs = Array.from({ length: n }, () => this.makeDoc(table));
    const ids: string[] = [];
    // Several transactions, so the change log has many timestamps.
    for (let i = 0; i < docs.length; i += 10) ids.push(...this.source.insert(table, docs.slice(i, i + 10)));
    return ids;
  }

  /** Random inserts, updates and deletes on the source, in one transaction. */
  mutate(count: number): { inserts: number; updates: number; deletes: number } {
    const stats = { inserts: 0, updates: 0, deletes: 0 };
    this.source.transaction((tx) => {
      for (let k = 0; k < count; k++) {
        const table = this.tables[this.ctx.int(0, this.tables.length - 1)] as string;
        const live = this.source.readTable(table).filter((d) => tx.get(String(d._id)) !== null);
        const roll = this.ctx.random();
        if (roll < 0.4 || live.length === 0) {
          tx.insert(table, this.makeDoc(table));
          stats.inserts++;
        } else if (roll < 0.75) {
          const d = live[this.ctx.int(0, live.length - 1)] as Doc;
          tx.patch(String(d._id), { name: `updated-${this.docCounter++}`, score: Math.round(this.ctx.random() * 1e4) / 10 });
          stats.updates++;
        } else {
          const d = live[this.ctx.int(0, live.length - 1)] as Doc;
          tx.delete(String(d._id));
          stats.deletes++;
        }
      }
    });
    return stats;
  }

  sourceConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { deployment_url: this.sourceUrl, access_key: this.sourceKey, ...this.opts.sourceConfig, ...extra };
  }

  destConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      deployment_url: this.destUrl,
      access_key: this.destKey,
      batch_max_records: 20,
      request_timeout_seconds: 2,
      index_ready_timeout_seconds: 20,
      ...this.opts.destConfig,
      ...extra,
    };
  }

  /** The configured catalog for the tables (built by hand, as discover would announce them). */
  catalog(tables: string[] = this.tables, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      streams: tables.map((name) => ({
        stream: {
          name,
          json_schema: { type: "object", additionalProperties: true, properties: { _id: { type: "string" }, _ts: { type: "integer" } } },
          supported_sync_modes: ["full_refresh", "incremental"],
          source_defined_cursor: true,
          default_cursor_field: ["_ts"],
          source_defined_primary_key: [["_id"]],
        },
        sync_mode: this.syncMode,
        destination_sync_mode: this.destMode,
        cursor_field: ["_ts"],
        primary_key: [["_id"]],
        ...overrides,
      })),
    };
  }

  injectSource(spec: FaultSpec): void {
    this.source.injectFault(spec);
  }

  injectDest(spec: FaultSpec): void {
    this.dest.injectFault(spec);
  }

  clearFaults(): void {
    this.source.clearFaults();
    this.dest.clearFaults();
  }
}
