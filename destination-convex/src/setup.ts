/**
 * What each configured stream needs before records flow, and doing it:
 *
 * - a table name (`<namespace>_<stream>` or `<stream>`), used for clearing, indexes and records;
 * - whether the table is emptied at the start of this attempt: `overwrite`, and any stream the
 *   platform is truncating (`minimum_generation_id == generation_id > 0`, which is how a
 *   destination that supports refreshes receives overwrite and "refresh and remove records");
 * - for `append_dedup`, the primary key in the field names the server stores, its index, and a
 *   bounded wait until the index is ready.
 */
import {
  type ConfiguredAirbyteCatalog,
  ConfigError,
  type Logger,
  streamKey,
  streamLabel,
  TransientError,
} from "@convex-airbyte/shared";
import { isValidIdentifier, serverPrimaryKey, serverTableName, tableNameForStream } from "./table-names.js";

export interface StreamPlan {
  name: string;
  namespace: string | undefined;
  label: string;
  table: string;
  /** The name the server stores the table under. */
  serverTable: string;
  mode: "append" | "append_dedup" | "overwrite";
  /** Emptied at the start of this attempt. */
  clear: boolean;
  /** Stored field names of the primary key, or null (append: no key). */
  primaryKey: string[][] | null;
  jsonSchemaText: string;
}

export interface SyncPlan {
  /** By `streamKey(name, namespace)`. */
  streams: Map<string, StreamPlan>;
  clearTables: string[];
  indexes: Record<string, string[][]>;
}

/** Above this, the (unused) JSON schema is not repeated in every request. */
const MAX_SCHEMA_BYTES = 64 * 1024;
/** Convex adds `_creationTime` to the index, and an index has at most 16 fields. */
const MAX_KEY_PATHS = 15;

export function planStreams(catalog: ConfiguredAirbyteCatalog, warn: (message: string) => void): SyncPlan {
  const streams = new Map<string, StreamPlan>();
  const byServerTable = new Map<string, string>();
  const clearTables: string[] = [];
  const indexes: Record<string, string[][]> = {};
  for (const cs of catalog.streams) {
    const { name } = cs.stream;
    const namespace = cs.stream.namespace ?? undefined;
    const label = streamLabel(name, namespace);
    const ref = { name, namespace };
    const table = tableNameForStream(name, namespace);
    const serverTable = serverTableName(table);
    if (!isValidIdentifier(serverTable)) {
      throw new ConfigError(
        `Stream '${label}' would be written to the table "${table}", which Convex cannot store as "${serverTable}" (table names must be at most 64 letters, digits or underscores). Shorten the stream name or namespace (e.g. with a stream prefix or a custom namespace in the connection settings).`,
        { stream: ref },
      );
    }
    const clash = byServerTable.get(serverTable);
    if (clash !== undefined) {
      throw new ConfigError(
        `Streams '${clash}' and '${label}' would both be written to the Convex table "${serverTable}". Give one of them another name or namespace in the connection settings.`,
        { stream: ref },
      );
    }
    byServerTable.set(serverTable, label);
    const dsm = cs.destination_sync_mode;
    if (dsm !== "append" && dsm !== "append_dedup" && dsm !== "overwrite") {
      throw new ConfigError(
        `Stream '${label}' uses the destination sync mode "${dsm}", which the Convex destination does not support. Use Overwrite, Append or Append + Deduped.`,
        { stream: ref },
      );
    }
    const generation = cs.generation_id ?? 0;
    const truncating = cs.minimum_generation_id !== undefined && cs.minimum_generation_id !== null && generation > 0 && cs.minimum_generation_id === generation;
    const clear = dsm === "overwrite" || truncating;
    let primaryKey: string[][] | null = null;
    if (dsm === "append_dedup") {
      const pk = cs.primary_key ?? [];
      if (pk.length === 0 || pk.some((p) => p.length === 0)) {
        // The Python connector appended in this case; keep that, but say so.
        warn(`Stream '${label}' uses Append + Deduped but has no primary key; its records are appended without deduplication.`);
      } else {
        primaryKey = serverPrimaryKey(pk);
        checkPrimaryKey(label, ref, pk, primaryKey);
        indexes[table] = primaryKey;
      }
    }
    if (clear) clearTables.push(table);
    let jsonSchemaText = JSON.stringify(cs.stream.json_schema ?? null);
    if (jsonSchemaText.length > MAX_SCHEMA_BYTES) jsonSchemaText = "null";
    streams.set(streamKey(name, namespace), {
      name,
      namespace,
      label,
      table,
      serverTable,
      mode: dsm,
      clear,
      primaryKey,
      jsonSchemaText,
    });
  }
  return { streams, clearTables, indexes };
}

function checkPrimaryKey(label: string, ref: { name: string; namespace: string | undefined }, original: string[][], stored: string[][]): void {
  if (stored.length > MAX_KEY_PATHS) {
    throw new ConfigError(`Stream '${label}' has a primary key of ${stored.length} fields; Convex indexes allow at most ${MAX_KEY_PATHS}. Choose a shorter primary key.`, { stream: ref });
  }
  stored.forEach((path, i) => {
    for (const component of path) {
      if (!isValidIdentifier(component)) {
        throw new ConfigError(
          `Stream '${label}' has the primary-key field "${(original[i] ?? []).join(".")}", which Convex stores as "${path.join(".")}"; Convex can index only fields whose names are letters, digits and underscores (at most 64). Choose another primary key or rename the field in the source.`,
          { stream: ref },
        );
      }
    }
  });
}

/** The calls setup makes; the Convex client provides them. */
export interface SetupApi {
  clearTables(tables: string[]): Promise<void>;
  addPrimaryKeyIndexes(indexes: Record<string, string[][]>): Promise<void>;
  primaryKeyIndexesReady(tables: string[]): Promise<boolean>;
}

export interface SetupOptions {
  indexReadyTimeoutMs: number;
  /** Injected for tests. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
  signal?: AbortSignal;
  /** How often a progress LOG is written while waiting for indexes. */
  progressEveryMs?: number;
}

export async function runSetup(api: SetupApi, plan: SyncPlan, logger: Logger, options: SetupOptions): Promise<void> {
  if (plan.clearTables.length > 0) {
    await logger.info(`Clearing ${plan.clearTables.length} table(s) before writing (overwrite or truncating refresh): ${plan.clearTables.join(", ")}.`);
    await api.clearTables(plan.clearTables);
  }
  const indexTables = Object.keys(plan.indexes);
  if (indexTables.length === 0) return;
  await logger.info(`Adding primary-key indexes for ${indexTables.length} deduplicated table(s): ${indexTables.join(", ")}.`);
  await api.addPrimaryKeyIndexes(plan.indexes);
  const started = options.now();
  const progressEvery = options.progressEveryMs ?? 30_000;
  let lastProgress = started;
  // Indexes on new or small tables are usually ready within a moment: look again soon, then back off.
  let delay = 50;
  for (;;) {
    if (await api.primaryKeyIndexesReady(indexTables)) break;
    const waited = options.now() - started;
    if (waited >= options.indexReadyTimeoutMs) {
      throw new TransientError(
        `The primary-key indexes of ${indexTables.join(", ")} were still being built after ${Math.round(waited / 1000)} s. Large existing tables take longer to index: run the sync again later (building continues on the server), or raise index_ready_timeout_seconds.`,
      );
    }
    if (options.now() - lastProgress >= progressEvery) {
      lastProgress = options.now();
      await logger.info(`Still waiting for the primary-key indexes of ${indexTables.join(", ")} to be ready (${Math.round(waited / 1000)} s so far, giving up after ${Math.round(options.indexReadyTimeoutMs / 1000)} s).`);
    }
    const remaining = options.indexReadyTimeoutMs - waited;
    await options.sleep(Math.max(0, Math.min(delay, remaining)), options.signal);
    delay = Math.min(delay * 2, 10_000);
  }
  await logger.info(`Primary-key indexes are ready (${Math.round((options.now() - started) / 1000)} s).`);
}
