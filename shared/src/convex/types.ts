/**
 * Request and response types of the Convex streaming export and streaming import HTTP APIs, as the
 * client returns them. Int64 timestamps (`_ts`, `snapshot`, the deltas `cursor`) are `bigint`.
 */

/** Value encodings the export endpoints accept (`format`); `json` is the server default. */
export type ConvexValueFormat = "json" | "convex_encoded_json" | "export_json";

/** Which connector is calling: picks the `Convex-Client` header and the default `User-Agent`. */
export type ConvexClientKind = "source" | "destination";

/** How a call may be retried after a retryable failure; see `retry.ts`. */
export type RetryMode = "safe" | "never" | "if-not-applied";

/** Per-call options. */
export interface CallOptions {
  /** Overrides the call's default retry mode. */
  retry?: RetryMode;
  /** Cancels this call (in addition to the client-wide signal). */
  signal?: AbortSignal;
}

/** The members of an export page other than its documents. */
export type PageTail<P extends { values: unknown[] }> = Omit<P, "values">;

/** Options of an export page call. */
export interface PageCallOptions<P extends { values: unknown[] }> extends CallOptions {
  /**
   * Called as soon as a page's body has arrived, before it is checked, with the members after
   * `values` read from its end: lets a reader request the next page early. A guess (see
   * peekPageTail): it may not come, and a caller must compare it with the page it gets.
   */
  onTail?: (tail: PageTail<P>) => void;
}

export interface JsonSchemasArgs {
  /** Include `_ts`, `_deleted`, `_table`, `_component` in each table's properties. */
  deltaSchema?: boolean;
  format?: ConvexValueFormat;
  /** Group tables by component path (`""` is the root component). */
  byComponent?: boolean;
}

/** One table's JSON Schema, as the server sends it. */
export type TableJsonSchema = Record<string, unknown>;

export interface ListSnapshotArgs {
  /** The `snapshot` of the previous page; absent on the first page. */
  snapshot?: bigint;
  /** The opaque `cursor` of the previous page; absent on the first page. */
  cursor?: string;
  tableName?: string;
  component?: string;
  format?: ConvexValueFormat;
}

/** An exported document: the document's fields plus `_table`, `_component`, `_ts` (bigint). */
export type ExportedDocument = Record<string, unknown> & { _ts: bigint };

/** A deltas entry: an exported document plus `_deleted`. Deletions carry only the system fields. */
export type DeltaDocument = ExportedDocument & { _deleted: boolean };

export interface ListSnapshotPage {
  values: ExportedDocument[];
  snapshot: bigint;
  /** `null` exactly when `hasMore` is false. */
  cursor: string | null;
  hasMore: boolean;
}

export interface DocumentDeltasArgs {
  /** Exclusive lower bound: deltas strictly after this timestamp. */
  cursor: bigint;
  tableName?: string;
  component?: string;
  format?: ConvexValueFormat;
}

export interface DocumentDeltasPage {
  values: DeltaDocument[];
  cursor: bigint;
  hasMore: boolean;
}

export interface TableColumns {
  name: string;
  columns: string[];
}

export interface TableColumnNames {
  /** Component path (`""` is the root) → tables with their top-level columns. */
  byComponent: Record<string, TableColumns[]>;
}

/** A table entry of an import request; `primaryKey: null` means append mode. */
export interface ImportTableMetadata {
  primaryKey: string[][] | null;
  jsonSchema: unknown;
}

export interface ImportMessage {
  tableName: string;
  data: Record<string, unknown>;
}

export interface ImportAirbyteRecordsBody {
  tables: Record<string, ImportTableMetadata>;
  messages: ImportMessage[];
}

/** Table name → primary-key field paths, e.g. `{ users: [["id"], ["address", "zip"]] }`. */
export type PrimaryKeyIndexes = Record<string, string[][]>;
