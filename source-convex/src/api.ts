/**
 * What the source needs from the Convex streaming export API. The shared HTTP client satisfies it;
 * tests can pass an in-memory fake. Int64 timestamps are `bigint`.
 */
import type { RawDocument } from "@convex-airbyte/shared";

export interface ExportCallOptions {
  signal?: AbortSignal;
  /** `never` for interactive calls (check) that should answer fast rather than retry. */
  retry?: "safe" | "never";
}

/** Options of a page call. */
export interface PageCallOptions<T> extends ExportCallOptions {
  /**
   * Called when a page's body arrives, before it is checked, with its members after `values` read
   * from its end, so that the next page can be requested early. A guess: it may not come, and the
   * caller compares it with the page it gets.
   */
  onTail?: (tail: T) => void;
}

export interface ListSnapshotRequest {
  snapshot?: bigint;
  cursor?: string;
  tableName?: string;
  component?: string;
  format?: "json";
}

/** A document as exported: its fields plus `_table`, `_component` and `_ts`. */
export type ExportedDoc = Record<string, unknown> & { _ts: bigint };

/**
 * A document of a page: a parsed value, or (from the HTTP client) the bytes the server sent, which
 * are written to records without parsing them (see RawDocument in the shared client).
 */
export type PageDoc = ExportedDoc | RawDocument;

export interface SnapshotPage {
  values: PageDoc[];
  snapshot: bigint;
  cursor: string | null;
  hasMore: boolean;
}

export interface DeltasRequest {
  cursor: bigint;
  tableName?: string;
  component?: string;
  format?: "json";
}

export interface DeltasPage {
  values: PageDoc[];
  cursor: bigint;
  hasMore: boolean;
}

export interface TableColumnNamesResponse {
  byComponent: Record<string, { name: string; columns: string[] }[]>;
}

export interface ExportApi {
  jsonSchemas(args: { deltaSchema: boolean; format: "json"; byComponent: boolean }, opts?: ExportCallOptions): Promise<unknown>;
  listSnapshot(args: ListSnapshotRequest, opts?: PageCallOptions<Omit<SnapshotPage, "values">>): Promise<SnapshotPage>;
  documentDeltas(args: DeltasRequest, opts?: PageCallOptions<Omit<DeltasPage, "values">>): Promise<DeltasPage>;
  testStreamingExportConnection(opts?: ExportCallOptions): Promise<void>;
  getTableColumnNames(opts?: ExportCallOptions): Promise<TableColumnNamesResponse>;
}

/** The Convex error code of a failed call (`SnapshotTooOld`, …), read structurally. */
export function errorCode(err: unknown): string | undefined {
  if (err === null || typeof err !== "object") return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** The HTTP status of a failed call, if it was an HTTP answer. */
export function errorStatus(err: unknown): number | undefined {
  if (err === null || typeof err !== "object") return undefined;
  const status = (err as { status?: unknown }).status;
  return typeof status === "number" ? status : undefined;
}
