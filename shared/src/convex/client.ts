/**
 * The typed Convex client: one method per streaming export / streaming import endpoint. Every call
 * goes through the same transport (http.ts), retry policy (retry.ts) and error classification
 * (errors.ts); int64 timestamps travel as `bigint` both ways.
 */
import { isUtf8 } from "node:buffer";
import type { Dispatcher } from "undici";
import { JsonSyntaxError, type KnownInt64s, parseExact, parseExactWith, placeEach, placeOne, stringifyExact } from "../json/exact-json.js";
import { ConfigError, SystemError } from "../runtime/errors.js";
import { VERSION } from "../version.js";
import { apiErrorFromResponse, ConvexMalformedResponseError, ConvexUnexpectedResponseError } from "./errors.js";
import { ExportPageShapeError, peekPageTail, RawDocument, type ScannedExportPage, scanExportPage } from "./export-page.js";
import { DEFAULT_TIMEOUTS, type HttpMethod, HttpTransport, responseText, type Timeouts } from "./http.js";
import { createRedactor, type Redactor } from "./redact.js";
import { retryFromEnv, timeoutsFromEnv } from "./env.js";
import { DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryCallback, type RetryPolicy, withRetry } from "./retry.js";
import type {
  CallOptions,
  ConvexClientKind,
  DeltaDocument,
  DocumentDeltasArgs,
  DocumentDeltasPage,
  ExportedDocument,
  ImportAirbyteRecordsBody,
  JsonSchemasArgs,
  ListSnapshotArgs,
  ListSnapshotPage,
  PageCallOptions,
  PageTail,
  PrimaryKeyIndexes,
  RetryMode,
  TableColumnNames,
  TableColumns,
  TableJsonSchema,
} from "./types.js";
import { normalizeDeploymentUrl, validateAccessKey, type WarningCallback } from "./url.js";

export interface ConvexClientOptions {
  /** The `deployment_url` setting; validated and normalized (see url.ts). */
  deploymentUrl: string;
  /** The `access_key` setting (a deploy key); validated, never shown in any message. */
  accessKey: string;
  /** `source` sends `Convex-Client: airbyte-export-<VERSION>`, `destination` `streaming-import-<VERSION>`. */
  kind: ConvexClientKind;
  /** Product name in `User-Agent`; default `source-convex` or `destination-convex`. */
  userAgentProduct?: string;
  /** Inject a dispatcher (e.g. undici's MockAgent). The client does not close an injected dispatcher. */
  dispatcher?: Dispatcher;
  /** Connections per origin of the client's own Agent. Default 8. */
  maxConnections?: number;
  timeouts?: Partial<Timeouts>;
  retry?: Partial<RetryPolicy>;
  /** Called before each retry wait, e.g. to log a WARN and count retries. */
  onRetry?: RetryCallback;
  /** Called for configuration warnings (whitespace trimmed from the key, a .convex.site URL). */
  onWarning?: WarningCallback;
  /** Aborts every call of this client (e.g. on SIGTERM). */
  signal?: AbortSignal;
  /**
   * How list_snapshot and document_deltas send their arguments: `GET` with a query string (the
   * default, as the Airbyte connector always did) or `POST` with a JSON body.
   */
  exportMethod?: "GET" | "POST";
}

interface CallBase {
  method: HttpMethod;
  route: string;
  query?: URLSearchParams;
  body?: string | Uint8Array;
  /** Retry mode when the caller does not choose one. */
  mode: RetryMode;
}

/** How a call reads its answer: as text, or (export pages, see export-page.ts) as the bytes themselves. */
type CallSpec<T> = CallBase & ({ parse: (text: string) => T; parseBytes?: never } | { parseBytes: (body: Buffer) => T; parse?: never });

export const CONVEX_ROUTES = {
  jsonSchemas: "/api/json_schemas",
  listSnapshot: "/api/list_snapshot",
  documentDeltas: "/api/document_deltas",
  testStreamingExportConnection: "/api/test_streaming_export_connection",
  getTableColumnNames: "/api/get_table_column_names",
  importAirbyteRecords: "/api/streaming_import/import_airbyte_records",
  addPrimaryKeyIndexes: "/api/streaming_import/add_primary_key_indexes",
  primaryKeyIndexesReady: "/api/streaming_import/primary_key_indexes_ready",
  clearTables: "/api/streaming_import/clear_tables",
  replaceTables: "/api/streaming_import/replace_tables",
} as const;

/** Convex's request body limit for import_airbyte_records (20 MiB); other routes accept 2 MiB. */
export const IMPORT_BODY_LIMIT_BYTES = 20 * 1024 * 1024;

/** The `Convex-Client` header value for a connector kind. */
export function convexClientHeader(kind: ConvexClientKind): string {
  return `${kind === "source" ? "airbyte-export" : "streaming-import"}-${VERSION}`;
}

export class ConvexClient {
  /** The normalized deployment URL every route is appended to. */
  readonly deploymentUrl: string;
  readonly host: string;
  /** Scrubs the access key (in every form) from a text; use it for anything derived from server text. */
  readonly redact: Redactor;
  private readonly transport: HttpTransport;
  private readonly policy: RetryPolicy;
  private readonly onRetry: RetryCallback | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly exportMethod: "GET" | "POST";

  constructor(options: ConvexClientOptions) {
    const rawKey = typeof options.accessKey === "string" ? options.accessKey : "";
    this.redact = createRedactor([rawKey]);
    const key = validateAccessKey(options.accessKey, options.onWarning);
    try {
      this.deploymentUrl = normalizeDeploymentUrl(options.deploymentUrl, options.onWarning);
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(this.redact(err.message));
      throw err;
    }
    this.host = new URL(this.deploymentUrl).host;
    const product = options.userAgentProduct ?? (options.kind === "source" ? "source-convex" : "destination-convex");
    const timeouts: Timeouts = { ...DEFAULT_TIMEOUTS, ...timeoutsFromEnv(), ...options.timeouts };
    this.transport = new HttpTransport({
      baseUrl: this.deploymentUrl,
      headers: {
        authorization: `Convex ${key}`,
        "convex-client": convexClientHeader(options.kind),
        "user-agent": `${product}/${VERSION} (airbyte; node ${process.versions.node})`,
        accept: "application/json",
      },
      timeouts,
      redact: this.redact,
      dispatcher: options.dispatcher,
      maxConnections: options.maxConnections,
    });
    this.policy = { ...DEFAULT_RETRY_POLICY, ...retryFromEnv(), ...options.retry };
    this.onRetry = options.onRetry;
    this.signal = options.signal;
    this.exportMethod = options.exportMethod ?? "GET";
  }

  /** Closes the client's own connection pool (not an injected dispatcher). */
  close(): Promise<void> {
    return this.transport.close();
  }

  // ------------------------------------------------------------------------------------------
  // Streaming export
  // ------------------------------------------------------------------------------------------

  /** `GET /api/json_schemas`: table name → JSON Schema (or component → table → schema). */
  jsonSchemas(args?: JsonSchemasArgs & { byComponent?: false }, options?: CallOptions): Promise<Record<string, TableJsonSchema>>;
  jsonSchemas(
    args: JsonSchemasArgs & { byComponent: true },
    options?: CallOptions,
  ): Promise<Record<string, Record<string, TableJsonSchema>>>;
  jsonSchemas(
    args: JsonSchemasArgs,
    options?: CallOptions,
  ): Promise<Record<string, TableJsonSchema> | Record<string, Record<string, TableJsonSchema>>>;
  jsonSchemas(
    args: JsonSchemasArgs = {},
    options?: CallOptions,
  ): Promise<Record<string, TableJsonSchema> | Record<string, Record<string, TableJsonSchema>>> {
    const route = CONVEX_ROUTES.jsonSchemas;
    const query = new URLSearchParams();
    if (args.deltaSchema !== undefined) query.set("deltaSchema", String(args.deltaSchema));
    if (args.format !== undefined) query.set("format", args.format);
    if (args.byComponent !== undefined) query.set("byComponent", String(args.byComponent));
    return this.call(
      {
        method: "GET",
        route,
        query,
        mode: "safe",
        parse: (text) => {
          const root = this.parseJson(text, route, parseExact);
          const schemas = expectRecord(root, route, "the body");
          for (const [name, schema] of Object.entries(schemas)) {
            const inner = expectRecord(schema, route, `the entry "${name}"`);
            if (args.byComponent === true) {
              for (const [table, s] of Object.entries(inner)) expectRecord(s, route, `the schema of "${name}"/"${table}"`);
            }
          }
          return schemas as Record<string, TableJsonSchema>;
        },
      },
      options,
    );
  }

  /**
   * One page of `list_snapshot`, each document a value (int64s beyond 2^53 as bigint). Pass back
   * both `snapshot` and `cursor` of the previous page.
   */
  async listSnapshot(args: ListSnapshotArgs = {}, options?: CallOptions): Promise<ListSnapshotPage> {
    const page = await this.listSnapshotRaw(args, options);
    return { ...page, values: page.values.map(documentValue) };
  }

  /** One page of `document_deltas` (changes strictly after `cursor`), each document a value. */
  async documentDeltas(args: DocumentDeltasArgs, options?: CallOptions): Promise<DocumentDeltasPage> {
    const page = await this.documentDeltasRaw(args, options);
    return { ...page, values: page.values.map(documentValue) as DeltaDocument[] };
  }

  /**
   * `list_snapshot` with the documents left as bytes (see export-page.ts): what a source writes
   * records from. A body that is not valid UTF-8 is read as text through the general parser.
   */
  listSnapshotRaw(args: ListSnapshotArgs = {}, options?: PageCallOptions<ListSnapshotPage>): Promise<RawPage<ListSnapshotPage>> {
    const route = CONVEX_ROUTES.listSnapshot;
    const fields: ExportArgs = { tableName: args.tableName, component: args.component, format: args.format, cursor: args.cursor, snapshot: args.snapshot };
    const onTail = options?.onTail;
    return this.call(
      {
        ...this.exportRequest(route, fields),
        mode: "safe",
        parseBytes: (body) => {
          if (onTail !== undefined) hintTail(body, "snapshot", (t) => this.snapshotTail(t), onTail);
          return this.snapshotPage(body);
        },
      },
      options,
    );
  }

  /** `document_deltas` with the documents left as bytes; see listSnapshotRaw. */
  documentDeltasRaw(args: DocumentDeltasArgs, options?: PageCallOptions<DocumentDeltasPage>): Promise<RawPage<DocumentDeltasPage>> {
    const route = CONVEX_ROUTES.documentDeltas;
    if (typeof args.cursor !== "bigint") {
      return Promise.reject(new SystemError(`documentDeltas needs a bigint cursor (got ${typeof args.cursor}). This is a bug in the connector.`));
    }
    const fields: ExportArgs = { tableName: args.tableName, component: args.component, format: args.format, cursor: args.cursor };
    const onTail = options?.onTail;
    return this.call(
      {
        ...this.exportRequest(route, fields),
        mode: "safe",
        parseBytes: (body) => {
          if (onTail !== undefined) hintTail(body, "cursor", (t) => this.deltasTail(t), onTail);
          return this.deltasPage(body);
        },
      },
      options,
    );
  }

  /** `GET /api/test_streaming_export_connection`: resolves when the key may export data. */
  async testStreamingExportConnection(options?: CallOptions): Promise<void> {
    await this.call(
      { method: "GET", route: CONVEX_ROUTES.testStreamingExportConnection, mode: "safe", parse: () => undefined },
      options,
    );
  }

  /** `GET /api/get_table_column_names`. */
  getTableColumnNames(options?: CallOptions): Promise<TableColumnNames> {
    const route = CONVEX_ROUTES.getTableColumnNames;
    return this.call(
      {
        method: "GET",
        route,
        mode: "safe",
        parse: (text) => {
          const root = expectRecord(this.parseJson(text, route, parseExact), route, "the body");
          const byComponent = expectRecord(root.byComponent, route, "byComponent");
          for (const [component, tables] of Object.entries(byComponent)) {
            if (!Array.isArray(tables) || !tables.every(isTableColumns)) {
              throw unexpected(route, `byComponent["${component}"] is not a list of {name, columns}`);
            }
          }
          return { byComponent: byComponent as Record<string, TableColumns[]> };
        },
      },
      options,
    );
  }

  // ------------------------------------------------------------------------------------------
  // Streaming import
  // ------------------------------------------------------------------------------------------

  /**
   * `POST import_airbyte_records`. `body` may be pre-serialized JSON, as text or UTF-8 bytes (so the caller can size
   * batches by bytes) or an object (serialized with exact int64s). The request is not atomic and
   * not idempotent in append mode, so the default retry mode is `if-not-applied`; pass
   * `{ retry: "safe" }` when replaying the batch cannot duplicate data (deduped streams).
   */
  async importAirbyteRecords(body: string | Uint8Array | ImportAirbyteRecordsBody, options?: CallOptions): Promise<void> {
    const text = typeof body === "string" || body instanceof Uint8Array ? body : stringifyExact(body);
    const bytes = typeof text === "string" ? Buffer.byteLength(text, "utf8") : text.byteLength;
    if (bytes > IMPORT_BODY_LIMIT_BYTES) {
      throw new SystemError(
        `An import batch of ${bytes} bytes exceeds Convex's limit of ${IMPORT_BODY_LIMIT_BYTES} bytes per request. ` +
          "This is a bug in the connector's batching; please report it.",
      );
    }
    await this.call(
      { method: "POST", route: CONVEX_ROUTES.importAirbyteRecords, body: text, mode: "if-not-applied", parse: () => undefined },
      options,
    );
  }

  /** `PUT add_primary_key_indexes` (idempotent). */
  async addPrimaryKeyIndexes(indexes: PrimaryKeyIndexes, options?: CallOptions): Promise<void> {
    await this.call(
      {
        method: "PUT",
        route: CONVEX_ROUTES.addPrimaryKeyIndexes,
        body: stringifyExact({ indexes }),
        mode: "safe",
        parse: () => undefined,
      },
      options,
    );
  }

  /** `GET primary_key_indexes_ready` with a JSON body: true when no named table's index is backfilling. */
  primaryKeyIndexesReady(tables: string[], options?: CallOptions): Promise<boolean> {
    const route = CONVEX_ROUTES.primaryKeyIndexesReady;
    return this.call(
      {
        method: "GET",
        route,
        body: stringifyExact({ tables }),
        mode: "safe",
        parse: (text) => {
          const root = expectRecord(this.parseJson(text, route, parseExact), route, "the body");
          if (typeof root.indexesReady !== "boolean") throw unexpected(route, "indexesReady is not a boolean");
          return root.indexesReady;
        },
      },
      options,
    );
  }

  /** `PUT clear_tables` (idempotent: clearing twice leaves the tables empty). */
  async clearTables(tableNames: string[], options?: CallOptions): Promise<void> {
    await this.call(
      {
        method: "PUT",
        route: CONVEX_ROUTES.clearTables,
        body: stringifyExact({ tableNames }),
        mode: "safe",
        parse: () => undefined,
      },
      options,
    );
  }

  /** `POST replace_tables`: temporary table → final table. Current servers always answer 400 `OverwriteNotSupported`. */
  async replaceTables(tableNames: Record<string, string>, options?: CallOptions): Promise<void> {
    await this.call(
      {
        method: "POST",
        route: CONVEX_ROUTES.replaceTables,
        body: stringifyExact({ tableNames }),
        mode: "never",
        parse: () => undefined,
      },
      options,
    );
  }

  // ------------------------------------------------------------------------------------------
  // Internals
  // ------------------------------------------------------------------------------------------

  private call<T>(spec: CallSpec<T>, options: CallOptions = {}): Promise<T> {
    const signals = [this.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length <= 1 ? signals[0] : AbortSignal.any(signals);
    const info = { method: spec.method, route: spec.route, host: this.host };
    return withRetry(
      async () => {
        const res = await this.transport.send({
          method: spec.method,
          route: spec.route,
          query: spec.query,
          body: spec.body,
          signal,
        });
        if (res.status < 200 || res.status >= 300) {
          const header = res.headers["retry-after"];
          const retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header, this.policy.now());
          throw apiErrorFromResponse(res.status, responseText(res.body), info, this.redact, retryAfterMs);
        }
        return spec.parseBytes !== undefined ? spec.parseBytes(res.body) : spec.parse(responseText(res.body));
      },
      { method: spec.method, route: spec.route, mode: options.retry ?? spec.mode, policy: this.policy, onRetry: this.onRetry, signal },
    );
  }

  private exportRequest(route: string, args: ExportArgs): { method: HttpMethod; route: string; query?: URLSearchParams; body?: string } {
    if (this.exportMethod === "POST") {
      const body: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(args)) if (v !== undefined) body[k] = v;
      return { method: "POST", route, body: stringifyExact(body) };
    }
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(args)) if (v !== undefined) query.set(k, v.toString());
    return { method: "GET", route, query };
  }

  private parseJson(text: string, route: string, parse: (text: string) => unknown): unknown {
    try {
      return parse(text);
    } catch (err) {
      if (!(err instanceof JsonSyntaxError)) throw err;
      throw this.malformed(text, route, err);
    }
  }

  private malformed(text: string, route: string, err: JsonSyntaxError): ConvexMalformedResponseError {
    const excerpt = this.redact(text.length > 200 ? `${text.slice(0, 100)} … ${text.slice(-100)}` : text);
    return new ConvexMalformedResponseError(
      `Convex's answer to ${route} on ${this.host} was not complete JSON (${text.length} characters; it may have been cut off). ` +
        "The connector retries such answers; if this keeps happening, check for proxies between this machine and Convex.",
      route,
      // No `cause`: the parser's message may quote the body, so only the redacted text is kept.
      { internal: this.redact(`JSON error: ${err.message}; body: ${excerpt}`) },
    );
  }

  private scanPage(body: Buffer, route: string, deltas: boolean): ScannedExportPage {
    try {
      return scanExportPage(body, deltas);
    } catch (err) {
      if (err instanceof ExportPageShapeError) throw unexpected(route, err.message);
      // Not JSON: the same error (and redacted excerpt) as the general parser gives.
      if (err instanceof JsonSyntaxError) throw this.malformed(responseText(body), route, err);
      throw err;
    }
  }

  private snapshotPage(body: Buffer): RawPage<ListSnapshotPage> {
    const { root, values } = this.pageParts(body, CONVEX_ROUTES.listSnapshot, false);
    return { values, ...this.snapshotTail(root) };
  }

  /** A list_snapshot page's members other than `values`, checked. */
  private snapshotTail(root: Record<string, unknown>): PageTail<ListSnapshotPage> {
    const route = CONVEX_ROUTES.listSnapshot;
    const snapshot = asInt64(root.snapshot);
    if (snapshot === undefined) throw unexpected(route, "snapshot is not an integer");
    const cursor = root.cursor ?? null;
    if (cursor !== null && typeof cursor !== "string") throw unexpected(route, "cursor is neither a string nor null");
    if (typeof root.hasMore !== "boolean") throw unexpected(route, "hasMore is not a boolean");
    if (root.hasMore && cursor === null) throw unexpected(route, "hasMore is true but cursor is null");
    return { snapshot, cursor, hasMore: root.hasMore };
  }

  private deltasPage(body: Buffer): RawPage<DocumentDeltasPage> {
    const { root, values } = this.pageParts(body, CONVEX_ROUTES.documentDeltas, true);
    // pageParts checked that every document of a deltas page has a boolean `_deleted`.
    return { values: values as (RawDocument | DeltaDocument)[], ...this.deltasTail(root) };
  }

  /** A document_deltas page's members other than `values`, checked. */
  private deltasTail(root: Record<string, unknown>): PageTail<DocumentDeltasPage> {
    const route = CONVEX_ROUTES.documentDeltas;
    const cursor = asInt64(root.cursor);
    if (cursor === undefined) throw unexpected(route, "cursor is not an integer");
    if (typeof root.hasMore !== "boolean") throw unexpected(route, "hasMore is not a boolean");
    return { cursor, hasMore: root.hasMore };
  }

  /**
   * An export page's members and its documents: scanned as bytes, or, for a body that is not
   * valid UTF-8, parsed as text (invalid bytes become U+FFFD) with the documents as values.
   */
  private pageParts(body: Buffer, route: string, deltas: boolean): { root: Record<string, unknown>; values: (RawDocument | ExportedDocument)[] } {
    if (isUtf8(body)) {
      const page = this.scanPage(body, route, deltas);
      if (page.docs === undefined) throw unexpected(route, "values is not a list");
      return { root: page.fields, values: page.docs };
    }
    const parsed = this.parseJson(responseText(body), route, (t) => parseExactWith(t, deltas ? placeDeltas : placeSnapshot));
    const root = expectRecord(parsed, route, "the body");
    return { root, values: checkValues(root.values, route, deltas) };
  }
}

/**
 * Passes a page's tail, read from the end of its body, to `onTail`; says nothing when the tail is
 * not found or not of the right shape (the page's own check then reports the body as it is).
 */
function hintTail<T>(body: Buffer, firstName: string, check: (root: Record<string, unknown>) => T, onTail: (tail: T) => void): void {
  const root = peekPageTail(body, firstName);
  if (root === undefined) return;
  let tail: T;
  try {
    tail = check(root);
  } catch (err) {
    if (err instanceof ConvexUnexpectedResponseError) return;
    throw err;
  }
  onTail(tail);
}

function documentValue(doc: RawDocument | ExportedDocument): ExportedDocument {
  return doc instanceof RawDocument ? doc.toObject() : doc;
}

/** A page whose documents are byte views (RawDocument) or, for a non-UTF-8 body, parsed values. */
export type RawPage<P extends { values: unknown[] }> = Omit<P, "values"> & { values: (RawDocument | P["values"][number])[] };

interface ExportArgs {
  tableName?: string | undefined;
  component?: string | undefined;
  format?: string | undefined;
  cursor?: string | bigint | undefined;
  snapshot?: bigint | undefined;
}

function placeSnapshot(root: unknown, exact: KnownInt64s): boolean {
  if (!isRecord(root)) return false;
  for (const key of exact.keys()) if (key !== "_ts" && key !== "snapshot") return false;
  return placeEach(root.values, "_ts", exact) >= 0 && placeOne(root, "snapshot", exact);
}

function placeDeltas(root: unknown, exact: KnownInt64s): boolean {
  if (!isRecord(root)) return false;
  for (const key of exact.keys()) if (key !== "_ts" && key !== "cursor") return false;
  return placeEach(root.values, "_ts", exact) >= 0 && placeOne(root, "cursor", exact);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isTableColumns(value: unknown): value is TableColumns {
  return (
    isRecord(value) &&
    typeof value.name === "string" &&
    Array.isArray(value.columns) &&
    value.columns.every((c) => typeof c === "string")
  );
}

/** A non-negative int64 as bigint: a bigint, or a safe integer number (small test values). */
function asInt64(value: unknown): bigint | undefined {
  if (typeof value === "bigint") return value >= 0n ? value : undefined;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return undefined;
}

function checkValues(values: unknown, route: string, deltas: boolean): ExportedDocument[] {
  if (!Array.isArray(values)) throw unexpected(route, "values is not a list");
  for (let i = 0; i < values.length; i++) {
    const doc: unknown = values[i];
    if (!isRecord(doc)) throw unexpected(route, `values[${i}] is not an object`);
    const ts = asInt64(doc._ts);
    if (ts === undefined) throw unexpected(route, `values[${i}]._ts is not an integer`);
    doc._ts = ts;
    if (deltas && typeof doc._deleted !== "boolean") throw unexpected(route, `values[${i}]._deleted is not a boolean`);
  }
  return values as ExportedDocument[];
}

function expectRecord(value: unknown, route: string, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw unexpected(route, `${what} is not a JSON object`);
  return value;
}

function unexpected(route: string, what: string): ConvexUnexpectedResponseError {
  return new ConvexUnexpectedResponseError(
    `Convex's answer to ${route} is not what the API promises: ${what}. This looks like a bug in the connector or a ` +
      "change in the Convex API; please report it with this message.",
    route,
  );
}
