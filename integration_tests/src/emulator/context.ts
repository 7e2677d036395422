/** The state and knobs the route handlers share. */
import type { KeyRole } from "./auth.js";
import type { Store } from "./store.js";

export interface Knobs {
  /** list_snapshot page size (SNAPSHOT_LIST_LIMIT, 1024). */
  snapshotPageSize: number;
  /** document_deltas rows-read budget (DOCUMENT_DELTAS_LIMIT, 128). */
  deltasPageSize: number;
  /** Max snapshot age for list_snapshot (LIST_SNAPSHOT_MAX_AGE_SECS, 5 days), in ms. */
  snapshotMaxAgeMs: number;
  /** Document-log retention for document_deltas (DOCUMENT_RETENTION_DELAY, 14 days), in ms. */
  retentionMs: number;
  /** Writes per import transaction (TRANSACTION_MAX_NUM_USER_WRITES, 16000). */
  txnMaxWrites: number;
  /** Bytes written per import transaction (TRANSACTION_MAX_USER_WRITE_SIZE_BYTES, 16 MiB). */
  txnMaxBytes: number;
  /** Polls of primary_key_indexes_ready that report false before a new index is ready. */
  indexBackfillPolls: number;
  /** Or: ms after creation before a new index is ready (whichever comes first). */
  indexBackfillMs: number;
}

export const DEFAULT_KNOBS: Knobs = {
  snapshotPageSize: 1024,
  deltasPageSize: 128,
  snapshotMaxAgeMs: 5 * 24 * 3600 * 1000,
  retentionMs: 14 * 24 * 3600 * 1000,
  txnMaxWrites: 16_000,
  txnMaxBytes: 16 * 1024 * 1024,
  indexBackfillPolls: 1,
  indexBackfillMs: 60_000,
};

export interface Deployment {
  readonly store: Store;
  readonly knobs: Knobs;
  readonly keys: ReadonlyMap<string, KeyRole>;
  streamingExportEnabled: boolean;
  /** Active schema (schema.ts stand-in): table → JSON schema; undefined = no schema at all. */
  activeSchema: Map<string, unknown> | undefined;
}
