import { MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { stringifyExact } from "../src/json/exact-json.js";
import { ConfigError, ConnectorError, SystemError, TransientError } from "../src/runtime/errors.js";
import { VERSION } from "../src/version.js";
import {
  ConvexApiError,
  ConvexClient,
  type ConvexClientOptions,
  ConvexMalformedResponseError,
  ConvexNetworkError,
  ConvexRedirectError,
  ConvexUnexpectedResponseError,
  RawDocument,
  IMPORT_BODY_LIMIT_BYTES,
  isConvexApiError,
  type RetryInfo,
} from "../src/convex/index.js";

const ORIGIN = "https://happy-otter-123.convex.cloud";
const KEY = "prod:happy-otter-123|0123456789abcdef0123456789abcdef";
const SECRET_PART = "0123456789abcdef0123456789abcdef";

interface Seen {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

const agents: MockAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) await a.close();
});

function setup(overrides: Partial<ConvexClientOptions> = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agents.push(agent);
  const pool = agent.get(ORIGIN);
  const sleeps: number[] = [];
  const retries: RetryInfo[] = [];
  const client = new ConvexClient({
    deploymentUrl: ORIGIN,
    accessKey: KEY,
    kind: "source",
    dispatcher: agent,
    retry: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    onRetry: (info) => retries.push(info),
    ...overrides,
  });
  const seen: Seen[] = [];
  /** Answers requests to `route` (any method, any query) with the given replies, in order. */
  const reply = (route: string, ...replies: Array<{ status: number; body?: string; headers?: Record<string, string> }>) => {
    for (const r of replies) {
      pool
        .intercept({ path: (p) => p.split("?")[0]?.endsWith(route) === true, method: () => true })
        .reply((opts) => {
          seen.push({
            path: opts.path,
            method: opts.method,
            headers: { ...(opts.headers as Record<string, string>) },
            body: typeof opts.body === "string" ? opts.body : undefined,
          });
          return { statusCode: r.status, data: r.body ?? "", responseOptions: { headers: r.headers ?? {} } };
        });
    }
  };
  return { agent, pool, client, sleeps, retries, seen, reply };
}

async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectorError);
    const e = err as ConnectorError;
    // Whatever the failure, the key never appears in what the user or the logs see.
    expect(`${e.message} ${e.internal ?? ""}`).not.toContain(SECRET_PART);
    return e;
  }
  throw new Error("expected the call to fail");
}

const json = (v: unknown) => JSON.stringify(v);
const convexError = (code: string, message: string) => json({ code, message });

describe("headers and routes", () => {
  it("sends Authorization, Convex-Client with the version, User-Agent and Accept", async () => {
    const { client, reply, seen } = setup();
    reply("/api/test_streaming_export_connection", { status: 200, body: "null" });
    await client.testStreamingExportConnection();
    const h = seen[0]?.headers ?? {};
    expect(h.authorization).toBe(`Convex ${KEY}`);
    expect(h["convex-client"]).toBe(`airbyte-export-${VERSION}`);
    expect(h["user-agent"]).toBe(`source-convex/${VERSION} (airbyte; node ${process.versions.node})`);
    expect(h.accept).toBe("application/json");
    expect(h["content-type"]).toBeUndefined();
  });

  it("uses streaming-import for the destination and sends JSON bodies with Content-Type", async () => {
    const { client, reply, seen } = setup({ kind: "destination" });
    reply("/api/streaming_import/clear_tables", { status: 200 });
    await client.clearTables(["users"]);
    expect(seen[0]?.method).toBe("PUT");
    expect(seen[0]?.headers["convex-client"]).toBe(`streaming-import-${VERSION}`);
    expect(seen[0]?.headers["user-agent"]).toMatch(new RegExp(`^destination-convex/${VERSION} `));
    expect(seen[0]?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ tableNames: ["users"] });
  });

  it("appends routes to a deployment URL's path prefix", async () => {
    const { client, reply, seen } = setup({ deploymentUrl: `${ORIGIN}/prefix/` });
    reply("/api/json_schemas", { status: 200, body: json({ users: { type: "object" } }) });
    const schemas = await client.jsonSchemas({ deltaSchema: true, format: "json" });
    expect(schemas).toEqual({ users: { type: "object" } });
    const url = new URL(seen[0]?.path ?? "", ORIGIN);
    expect(url.pathname).toBe("/prefix/api/json_schemas");
    expect(Object.fromEntries(url.searchParams)).toEqual({ deltaSchema: "true", format: "json" });
  });

  it("sends primary_key_indexes_ready as a GET with a JSON body", async () => {
    const { client, reply, seen } = setup({ kind: "destination" });
    reply("/api/streaming_import/primary_key_indexes_ready", { status: 200, body: json({ indexesReady: false }) });
    expect(await client.primaryKeyIndexesReady(["users", "posts"])).toBe(false);
    expect(seen[0]?.method).toBe("GET");
    expect(seen[0]?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ tables: ["users", "posts"] });
  });

  it("sends the other import bodies as documented", async () => {
    const { client, reply, seen } = setup({ kind: "destination" });
    reply("/api/streaming_import/add_primary_key_indexes", { status: 200 });
    reply("/api/streaming_import/replace_tables", { status: 200 });
    reply("/api/streaming_import/import_airbyte_records", { status: 200 }, { status: 200 });
    await client.addPrimaryKeyIndexes({ users: [["id"], ["address", "zip"]] });
    await client.replaceTables({ tmp_users: "users" });
    const body = {
      tables: { users: { primaryKey: null, jsonSchema: null } },
      messages: [{ tableName: "users", data: { id: 1, _ab_cdc_lsn: 1152921504606846977n } }],
    };
    await client.importAirbyteRecords(body);
    const preSerialized = '{"tables":{},"messages":[]}';
    await client.importAirbyteRecords(preSerialized);
    expect(seen.map((s) => s.method)).toEqual(["PUT", "POST", "POST", "POST"]);
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ indexes: { users: [["id"], ["address", "zip"]] } });
    expect(JSON.parse(seen[1]?.body ?? "")).toEqual({ tableNames: { tmp_users: "users" } });
    expect(seen[2]?.body).toContain('"_ab_cdc_lsn":1152921504606846977');
    expect(seen[3]?.body).toBe(preSerialized);
  });

  it("refuses an import batch over Convex's 20 MiB limit without sending it", async () => {
    const { client, seen } = setup({ kind: "destination" });
    const err = await failure(client.importAirbyteRecords("x".repeat(IMPORT_BODY_LIMIT_BYTES + 1)));
    expect(err).toBeInstanceOf(SystemError);
    expect(err.message).toMatch(/exceeds Convex's limit/);
    expect(seen).toHaveLength(0);
  });

  it("reads get_table_column_names", async () => {
    const { client, reply } = setup();
    const answer = { byComponent: { "": [{ name: "users", columns: ["_creationTime", "_id", "name"] }] } };
    reply("/api/get_table_column_names", { status: 200, body: json(answer) });
    expect(await client.getTableColumnNames()).toEqual(answer);
  });
});

describe("int64 exactness end to end", () => {
  const TS = 1152921504606846977n; // 2^60 + 1: JSON.parse would round it
  const SNAPSHOT = 1733875200999999999n;
  const DELTA_CURSOR = 1733875300000000003n;

  const snapshotPage = `{"values":[{"_component":"","_table":"users","_ts":${TS},"_creationTime":1733875100000.123,"_id":"j574","name":"Ada"},{"_component":"","_table":"users","_ts":1733875200123456789,"_id":"j575","n":5}],"snapshot":${SNAPSHOT},"cursor":"{\\"tablet\\":\\"abc\\",\\"id\\":\\"j575\\"}","hasMore":true}`;
  const deltasPage = `{"values":[{"_component":"","_table":"users","_ts":${DELTA_CURSOR},"_deleted":true,"_id":"j574"}],"cursor":${DELTA_CURSOR},"hasMore":false}`;

  it("parses _ts, snapshot and the deltas cursor as exact bigints and sends them back exactly (GET query)", async () => {
    const { client, reply, seen } = setup();
    reply("/api/list_snapshot", { status: 200, body: snapshotPage });
    reply("/api/document_deltas", { status: 200, body: deltasPage }, { status: 200, body: deltasPage });
    const page = await client.listSnapshot({ tableName: "users", format: "json" });
    expect(page.values[0]?._ts).toBe(TS);
    expect(page.values[1]?._ts).toBe(1733875200123456789n);
    expect(page.snapshot).toBe(SNAPSHOT);
    expect(page.cursor).toBe('{"tablet":"abc","id":"j575"}');
    expect(page.hasMore).toBe(true);
    expect(page.values[0]?._creationTime).toBe(1733875100000.123);

    const deltas = await client.documentDeltas({ cursor: page.snapshot, tableName: "users" });
    expect(deltas.cursor).toBe(DELTA_CURSOR);
    expect(deltas.values[0]?._deleted).toBe(true);
    expect(deltas.values[0]?._ts).toBe(DELTA_CURSOR);
    await client.documentDeltas({ cursor: deltas.cursor });

    const q0 = new URL(seen[0]?.path ?? "", ORIGIN).searchParams;
    expect(Object.fromEntries(q0)).toEqual({ tableName: "users", format: "json" });
    const q1 = new URL(seen[1]?.path ?? "", ORIGIN).searchParams;
    expect(q1.get("cursor")).toBe(SNAPSHOT.toString());
    expect(q1.get("tableName")).toBe("users");
    expect(new URL(seen[2]?.path ?? "", ORIGIN).searchParams.get("cursor")).toBe(DELTA_CURSOR.toString());
  });

  it("sends snapshot and cursor back exactly on the next list_snapshot page", async () => {
    const { client, reply, seen } = setup();
    reply("/api/list_snapshot", { status: 200, body: snapshotPage });
    await client.listSnapshot({ snapshot: SNAPSHOT, cursor: '{"tablet":"abc","id":"j575"}', tableName: "users" });
    const q = new URL(seen[0]?.path ?? "", ORIGIN).searchParams;
    expect(q.get("snapshot")).toBe("1733875200999999999");
    expect(q.get("cursor")).toBe('{"tablet":"abc","id":"j575"}');
  });

  it("writes a bigint cursor exactly in a JSON body (exportMethod POST)", async () => {
    const { client, reply, seen } = setup({ exportMethod: "POST" });
    reply("/api/document_deltas", { status: 200, body: deltasPage });
    reply("/api/list_snapshot", { status: 200, body: snapshotPage });
    await client.documentDeltas({ cursor: DELTA_CURSOR, tableName: "users" });
    await client.listSnapshot({ snapshot: SNAPSHOT, cursor: "c" });
    expect(seen[0]?.method).toBe("POST");
    expect(seen[0]?.body).toBe(`{"tableName":"users","cursor":${DELTA_CURSOR}}`);
    expect(seen[1]?.body).toBe(`{"cursor":"c","snapshot":${SNAPSHOT}}`);
  });

  it("stays exact when a document has its own big integers (fallback parse)", async () => {
    const { client, reply } = setup({ retry: { sleep: async () => {}, random: () => 0 } });
    const page = `{"values":[{"_table":"t","_ts":${TS},"cursor":9007199254740993,"nested":{"_ts":9007199254740995}}],"snapshot":${SNAPSHOT},"cursor":null,"hasMore":false}`;
    reply("/api/list_snapshot", { status: 200, body: page });
    const res = await client.listSnapshot();
    expect(res.values[0]?._ts).toBe(TS);
    expect(res.values[0]?.cursor).toBe(9007199254740993n);
    expect(res.values[0]?.nested).toEqual({ _ts: 9007199254740995n });
    expect(res.snapshot).toBe(SNAPSHOT);
    expect(res.cursor).toBeNull();
  });

  it("sends the same bytes as stringifyExact for an import body object", async () => {
    const { client, reply, seen } = setup({ kind: "destination" });
    reply("/api/streaming_import/import_airbyte_records", { status: 200 });
    const body = { tables: {}, messages: [{ tableName: "t", data: { _ab_cdc_lsn: TS } }] };
    await client.importAirbyteRecords(body);
    expect(seen[0]?.body).toBe(stringifyExact(body));
  });
});

describe("retries", () => {
  it("retries 5xx with exponential backoff and full jitter, then succeeds", async () => {
    const { client, reply, sleeps, retries } = setup();
    reply(
      "/api/list_snapshot",
      { status: 503, body: convexError("Overloaded", "busy") },
      { status: 500, body: "" },
      { status: 502, body: "<html>bad gateway</html>" },
      { status: 200, body: json({ values: [], snapshot: 5, cursor: null, hasMore: false }) },
    );
    const page = await client.listSnapshot();
    expect(page.snapshot).toBe(5n);
    // random() = 0.5: half of 1 s, 2 s, 4 s.
    expect(sleeps).toEqual([500, 1000, 2000]);
    expect(retries.map((r) => [r.attempt, r.status, r.route])).toEqual([
      [1, 503, "/api/list_snapshot"],
      [2, 500, "/api/list_snapshot"],
      [3, 502, "/api/list_snapshot"],
    ]);
    expect(retries[0]?.error).toBeInstanceOf(TransientError);
  });

  it("honours Retry-After in seconds and as an HTTP date, capped", async () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    const { client, reply, sleeps, retries } = setup({
      retry: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, now: () => now, retryAfterCapMs: 60_000 },
    });
    reply(
      "/api/json_schemas",
      { status: 429, body: convexError("RateLimited", "slow down"), headers: { "retry-after": "7" } },
      { status: 503, body: "", headers: { "retry-after": new Date(now + 12_000).toUTCString() } },
      { status: 429, body: "", headers: { "retry-after": "3600" } },
      { status: 200, body: "{}" },
    );
    await client.jsonSchemas();
    expect(sleeps).toEqual([7000, 12_000, 60_000]);
    expect(retries.every((r) => r.fromRetryAfter)).toBe(true);
  });

  it("gives up after maxAttempts with a transient error that says what to do", async () => {
    const { client, reply, sleeps } = setup({ retry: { maxAttempts: 3, sleep: async (ms) => void sleeps.push(ms), random: () => 1 } });
    reply("/api/list_snapshot", ...Array.from({ length: 3 }, () => ({ status: 429, body: convexError("RateLimited", "Too many") })));
    const err = await failure(client.listSnapshot());
    expect(err).toBeInstanceOf(ConvexApiError);
    expect(err.failureType).toBe("transient_error");
    expect(err.message).toMatch(/HTTP 429 RateLimited/);
    expect(err.message).toMatch(/Run the sync again later/);
    expect(err.message).toMatch(/Gave up after 3 attempts/);
    expect(sleeps).toHaveLength(2);
  });

  it("stops when the total time budget would be exceeded", async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const { client, reply } = setup({
      retry: {
        maxTotalMs: 10_000,
        random: () => 0.99,
        now: () => clock,
        sleep: async (ms) => {
          sleeps.push(ms);
          clock += ms;
        },
      },
    });
    reply("/api/list_snapshot", ...Array.from({ length: 6 }, () => ({ status: 500, body: "" })));
    const err = await failure(client.listSnapshot());
    expect(err.failureType).toBe("transient_error");
    // 990 + 1980 + 3960 = 6930 ms slept; the next delay (7920) would end past 10 s.
    expect(sleeps).toEqual([990, 1980, 3960]);
  });

  it("never retries a 400", async () => {
    const { client, reply, retries } = setup();
    reply("/api/list_snapshot", { status: 400, body: convexError("BadQueryArgs", "Failed to deserialize query string") });
    const err = await failure(client.listSnapshot());
    expect(err).toBeInstanceOf(SystemError);
    expect(retries).toHaveLength(0);
  });

  it("retries network errors (ECONNRESET) and then reports the host", async () => {
    const { client, pool, retries } = setup({ retry: { maxAttempts: 2, sleep: async () => {}, random: () => 0 } });
    for (let i = 0; i < 2; i++) {
      pool
        .intercept({ path: (p) => p.startsWith("/api/json_schemas") })
        .replyWithError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
    }
    const err = await failure(client.jsonSchemas());
    expect(err).toBeInstanceOf(ConvexNetworkError);
    expect(err.failureType).toBe("transient_error");
    expect(err.message).toContain("happy-otter-123.convex.cloud");
    expect(err.message).toMatch(/ECONNRESET/);
    expect(retries).toHaveLength(1);
  });

  it("retries a truncated 200 body, and does not retry a well-formed unexpected shape", async () => {
    const { client, reply, retries } = setup();
    reply(
      "/api/list_snapshot",
      { status: 200, body: '{"values":[{"_ts":1152921504606846977,"_id":"a"' },
      { status: 200, body: json({ values: [], snapshot: 1, cursor: null, hasMore: false }) },
    );
    expect((await client.listSnapshot()).snapshot).toBe(1n);
    expect(retries[0]?.error).toBeInstanceOf(ConvexMalformedResponseError);

    reply("/api/list_snapshot", { status: 200, body: json({ values: {}, snapshot: 1, hasMore: false }) });
    const err = await failure(client.listSnapshot());
    expect(err).toBeInstanceOf(ConvexUnexpectedResponseError);
    expect(err.failureType).toBe("system_error");
    expect(err.message).toMatch(/\/api\/list_snapshot.*values is not a list/);
    expect(retries).toHaveLength(1);
  });

  it("rejects pages that break the API's promises", async () => {
    const { client, reply } = setup();
    reply("/api/document_deltas", { status: 200, body: json({ values: [{ _ts: 1 }], cursor: 2, hasMore: false }) });
    expect((await failure(client.documentDeltas({ cursor: 1n }))).message).toMatch(/_deleted is not a boolean/);
    reply("/api/list_snapshot", { status: 200, body: json({ values: [], snapshot: 1, cursor: null, hasMore: true }) });
    expect((await failure(client.listSnapshot())).message).toMatch(/hasMore is true but cursor is null/);
  });

  it("import_airbyte_records is not retried on a 5xx by default, but is on 429 and connection refused", async () => {
    const { client, reply, pool, retries } = setup({ kind: "destination" });
    reply("/api/streaming_import/import_airbyte_records", { status: 500, body: convexError("InternalServerError", "x") });
    const err = await failure(client.importAirbyteRecords("{}"));
    expect(err.failureType).toBe("transient_error");
    expect(retries).toHaveLength(0);

    reply("/api/streaming_import/import_airbyte_records", { status: 429, body: "" }, { status: 200 });
    await client.importAirbyteRecords("{}");
    expect(retries).toHaveLength(1);

    pool
      .intercept({ path: "/api/streaming_import/import_airbyte_records", method: "POST" })
      .replyWithError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    reply("/api/streaming_import/import_airbyte_records", { status: 200 });
    await client.importAirbyteRecords("{}");
    expect(retries).toHaveLength(2);
    expect(retries[1]?.error).toBeInstanceOf(ConvexNetworkError);
    expect((retries[1]?.error as ConvexNetworkError | undefined)?.phase).toBe("connect");
  });

  it("import_airbyte_records is retried on a 5xx when the caller says it is safe, and never with 'never'", async () => {
    const { client, reply, retries } = setup({ kind: "destination" });
    reply("/api/streaming_import/import_airbyte_records", { status: 502, body: "" }, { status: 200 });
    await client.importAirbyteRecords("{}", { retry: "safe" });
    expect(retries).toHaveLength(1);
    reply("/api/streaming_import/import_airbyte_records", { status: 429, body: "" });
    await failure(client.importAirbyteRecords("{}", { retry: "never" }));
    expect(retries).toHaveLength(1);
  });

  it("aborts through an AbortSignal, also while waiting to retry", async () => {
    const controller = new AbortController();
    const { client, reply } = setup({
      signal: controller.signal,
      retry: {
        random: () => 0,
        sleep: async () => {
          controller.abort(new ConfigError("stopped by SIGTERM"));
          throw new Error("aborted");
        },
      },
    });
    reply("/api/list_snapshot", { status: 503, body: "" });
    const err = await failure(client.listSnapshot());
    expect(err.message).toBe("stopped by SIGTERM");

    const perCall = new AbortController();
    perCall.abort();
    const { client: c2 } = setup();
    const e2 = await failure(c2.jsonSchemas({}, { signal: perCall.signal }));
    expect(e2.failureType).toBe("transient_error");
    expect(e2.message).toMatch(/cancelled because the connector is stopping/);
  });
});

describe("redirects", () => {
  it("does not follow a 302 to another host and tells the user to use the deployment URL", async () => {
    const { agent, client, reply, seen } = setup();
    const evil = agent.get("https://evil.example.com");
    let evilRequested = false;
    evil.intercept({ path: () => true, method: () => true }).reply(() => {
      evilRequested = true;
      return { statusCode: 200, data: "{}" };
    });
    reply("/api/json_schemas", { status: 302, headers: { location: "https://evil.example.com/steal?x=1" } });
    const err = await failure(client.jsonSchemas());
    expect(err).toBeInstanceOf(ConvexRedirectError);
    expect(err.failureType).toBe("config_error");
    expect(err.message).toMatch(/redirects.*https:\/\/evil\.example\.com.*access key was not sent there/);
    expect(err.message).toMatch(/https:\/\/<name>\.convex\.cloud/);
    expect(evilRequested).toBe(false);
    expect(seen).toHaveLength(1);
  });
});

describe("error classification", () => {
  const cases: Array<{
    name: string;
    status: number;
    body: string;
    route?: "export" | "import";
    type: "config_error" | "system_error" | "transient_error";
    message: RegExp;
  }> = [
    { name: "401 BadAdminKey", status: 401, body: convexError("BadAdminKey", "The provided admin key was invalid for this instance"), type: "config_error", message: /deploy key of this deployment \(happy-otter-123\.convex\.cloud\).*Settings.*Deploy Key/ },
    { name: "403 BadDeployKey", status: 403, body: convexError("BadDeployKey", "The provided deploy key was invalid for this deployment."), type: "config_error", message: /another deployment/ },
    { name: "401 without a body", status: 401, body: "", type: "config_error", message: /access key was not accepted/ },
    { name: "403 StreamingExportNotEnabled", status: 403, body: convexError("StreamingExportNotEnabled", "Streaming export is not available on your current subscription."), type: "config_error", message: /Convex plan that includes streaming export/ },
    { name: "403 OperationNotPermitted on import", status: 403, route: "import", body: convexError("OperationNotPermitted", "You do not have permission to perform this operation (deployment:backups:import)."), type: "config_error", message: /read-only.*full access/ },
    { name: "400 InvalidWindowToReadDocuments", status: 400, body: convexError("InvalidWindowToReadDocuments", "Trying to synchronize from timestamp 5, which is older than the database’s retention window."), type: "config_error", message: /retention window.*full snapshot/ },
    { name: "400 SnapshotTooOld", status: 400, body: convexError("SnapshotTooOld", "Snapshot value 1 is too far in the past."), type: "config_error", message: /Reset the connection's data/ },
    { name: "400 NoSchemaForExport", status: 400, body: convexError("NoSchemaForExport", "There is no active schema"), type: "config_error", message: /convex\/schema\.ts/ },
    { name: "400 InvalidPrimaryKey", status: 400, route: "import", body: convexError("InvalidPrimaryKey", "Invalid primary key"), type: "config_error", message: /primary key/ },
    { name: "400 BadJsonBody", status: 400, body: convexError("BadJsonBody", "Failed to deserialize"), type: "system_error", message: /bug in the connector/ },
    { name: "400 unknown code", status: 400, body: convexError("SomethingNew", "?"), type: "system_error", message: /report it/ },
    { name: "404 empty", status: 404, body: "", type: "config_error", message: /does not serve the Convex API.*convex\.cloud/ },
    { name: "503 TableSummariesUnavailable", status: 503, body: convexError("TableSummariesUnavailable", "still bootstrapping"), type: "transient_error", message: /few minutes/ },
    { name: "500 InternalServerError", status: 500, body: convexError("InternalServerError", "Your request couldn't be completed. Try again later."), type: "transient_error", message: /Run the sync again later/ },
  ];

  it.each(cases)("$name → $type", async ({ status, body, route, type, message }) => {
    const { client, reply } = setup({ retry: { maxAttempts: 1 } });
    const path = route === "import" ? "/api/streaming_import/import_airbyte_records" : "/api/list_snapshot";
    reply(path, { status, body });
    const err = await failure(route === "import" ? client.importAirbyteRecords("{}") : client.listSnapshot());
    expect(err.failureType).toBe(type);
    expect(err.message).toMatch(message);
    expect(err).toBeInstanceOf(ConvexApiError);
    if (!isConvexApiError(err)) throw new Error("not a ConvexApiError");
    expect(err.status).toBe(status);
    expect(err.route).toBe(path);
    expect(err.message).toContain(path);
    const expectedBase = { config_error: ConfigError, system_error: SystemError, transient_error: TransientError }[type];
    expect(err).toBeInstanceOf(expectedBase);
  });

  it("lets callers catch expired cursors by code", async () => {
    const { client, reply } = setup();
    reply("/api/document_deltas", { status: 400, body: convexError("InvalidWindowToReadDocuments", "too old") });
    const err = await failure(client.documentDeltas({ cursor: 5n }));
    expect(isConvexApiError(err, "InvalidWindowToReadDocuments", "SnapshotTooOld")).toBe(true);
    expect(isConvexApiError(err, "BadAdminKey")).toBe(false);
    if (isConvexApiError(err)) {
      expect(err.code).toBe("InvalidWindowToReadDocuments");
      expect(err.serverMessage).toBe("too old");
    }
  });
});

describe("redaction", () => {
  it("never shows the key, even when the server echoes it", async () => {
    const { client, reply } = setup({ retry: { maxAttempts: 1 } });
    reply("/api/list_snapshot", {
      status: 401,
      body: convexError("BadAdminKey", `The key ${KEY} (instance happy-otter-123|${SECRET_PART}) was invalid; Authorization: Convex ${KEY}`),
    });
    const err = await failure(client.listSnapshot());
    if (!isConvexApiError(err)) throw new Error("not a ConvexApiError");
    expect(err.serverMessage).not.toContain(SECRET_PART);
    expect(err.message).toContain("**********");
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain(SECRET_PART);

    reply("/api/list_snapshot", { status: 502, body: `<html>upstream said ${encodeURIComponent(KEY)}</html>` });
    const e2 = await failure(client.listSnapshot());
    expect(e2.message).not.toContain(encodeURIComponent(SECRET_PART));
  });

  it("keeps the key out of a malformed-body error's internal text", async () => {
    const { client, reply } = setup({ retry: { maxAttempts: 1 } });
    reply("/api/list_snapshot", { status: 200, body: `{"echo":"${KEY}",` });
    const err = await failure(client.listSnapshot());
    expect(err).toBeInstanceOf(ConvexMalformedResponseError);
    expect(err.internal).toContain("**********");
    expect(err.cause).toBeUndefined();
  });

  it("does not show the key when it was pasted into deployment_url", () => {
    try {
      new ConvexClient({ deploymentUrl: `${KEY}`, accessKey: KEY, kind: "source" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).not.toContain(SECRET_PART);
      expect((err as Error).message).toMatch(/deployment_url/);
    }
  });
});

describe("export pages read as bytes (listSnapshotRaw, documentDeltasRaw)", () => {
  const BIG = 1152921504606846977n;
  const body = `{"values":[{"_id":"a","_ts":${BIG},"_table":"users","_component":"","n":1.5},{"_id":"b","_ts":${BIG + 1n},"_table":"users","_component":""}],"snapshot":${BIG + 9n},"cursor":"c","hasMore":true}`;

  it("gives the same page as the parsed path, with each document a view of its bytes", async () => {
    const { client, reply } = setup();
    reply("/api/list_snapshot", { status: 200, body }, { status: 200, body });
    const raw = await client.listSnapshotRaw({ tableName: "users" });
    const parsed = await client.listSnapshot({ tableName: "users" });
    expect(raw.values.every((d) => d instanceof RawDocument)).toBe(true);
    expect(raw.values.map((d) => (d as RawDocument).toObject())).toEqual(parsed.values);
    expect({ ...raw, values: undefined }).toEqual({ ...parsed, values: undefined });
    expect(raw.snapshot).toBe(BIG + 9n);
  });

  it("answers malformed and mis-shaped bodies with the parsed path's errors", async () => {
    const { client, reply, retries } = setup({ retry: { maxAttempts: 2, sleep: async () => undefined } });
    reply("/api/list_snapshot", { status: 200, body: `{"values":[{"_ts":${BIG},"k":"${KEY}"` }, { status: 200, body: json({ values: [], snapshot: 1, cursor: null, hasMore: false }) });
    expect((await client.listSnapshotRaw()).snapshot).toBe(1n);
    const retried = retries[0]?.error as ConnectorError;
    expect(retried).toBeInstanceOf(ConvexMalformedResponseError);
    expect(retried.message).toMatch(/list_snapshot .*was not complete JSON/);
    expect(retried.internal).not.toContain(SECRET_PART);

    const shapes: [string, string, RegExp][] = [
      ["/api/list_snapshot", json({ values: {}, snapshot: 1, hasMore: false }), /values is not a list/],
      ["/api/list_snapshot", json({ values: [], snapshot: 1, cursor: null, hasMore: true }), /hasMore is true but cursor is null/],
      ["/api/list_snapshot", json({ values: [], snapshot: "1", cursor: null, hasMore: false }), /snapshot is not an integer/],
      ["/api/list_snapshot", json({ values: [{ _id: "a" }], snapshot: 1, cursor: null, hasMore: false }), /values\[0\]\._ts is not an integer/],
      ["/api/document_deltas", json({ values: [{ _ts: 1 }], cursor: 2, hasMore: false }), /values\[0\]\._deleted is not a boolean/],
      ["/api/document_deltas", json({ values: [], cursor: -2, hasMore: false }), /cursor is not an integer/],
    ];
    for (const [route, text, message] of shapes) {
      reply(route, { status: 200, body: text });
      const err = await failure(route === "/api/list_snapshot" ? client.listSnapshotRaw() : client.documentDeltasRaw({ cursor: 1n }));
      expect(err).toBeInstanceOf(ConvexUnexpectedResponseError);
      expect(err.message).toMatch(message);
    }
  });

  it("passes the page's tail to onTail before the page resolves, exactly, and only when it is well formed", async () => {
    const { client, reply } = setup({ retry: { maxAttempts: 2, sleep: async () => undefined } });
    const events: string[] = [];
    const snapTails: unknown[] = [];
    reply("/api/list_snapshot", { status: 200, body });
    const onTail = (t: unknown) => {
      events.push("tail");
      snapTails.push(t);
    };
    const page = await client.listSnapshotRaw({ tableName: "users" }, { onTail }).then((p) => {
      events.push("page");
      return p;
    });
    expect(events).toEqual(["tail", "page"]);
    expect(snapTails).toEqual([{ snapshot: BIG + 9n, cursor: "c", hasMore: true }]);
    expect(page.cursor).toBe("c");

    const deltaTails: unknown[] = [];
    const deltas = `{"values":[{"_ts":${BIG},"_deleted":true,"_table":"t","cursor":1}],"cursor":${BIG + 2n},"hasMore":true}`;
    reply("/api/document_deltas", { status: 200, body: deltas });
    await client.documentDeltasRaw({ cursor: 1n }, { onTail: (t) => void deltaTails.push(t) });
    expect(deltaTails).toEqual([{ cursor: BIG + 2n, hasMore: true }]);

    // A cut-off first attempt gives no tail; the retried, whole page does. A mis-shaped tail gives none.
    const cut = body.slice(0, -4);
    const tails: unknown[] = [];
    reply("/api/list_snapshot", { status: 200, body: cut }, { status: 200, body });
    await client.listSnapshotRaw({}, { onTail: (t) => void tails.push(t) });
    expect(tails).toEqual([{ snapshot: BIG + 9n, cursor: "c", hasMore: true }]);
    reply("/api/list_snapshot", { status: 200, body: json({ values: [], snapshot: "1", cursor: null, hasMore: false }) });
    await failure(client.listSnapshotRaw({}, { onTail: (t) => void tails.push(t) }));
    expect(tails).toHaveLength(1);
  });

  it("reads a body that is not valid UTF-8 through the general parser", async () => {
    const { client, pool } = setup();
    const bytes = Buffer.concat([Buffer.from(`{"values":[{"_ts":${BIG},"_deleted":false,"s":"`), Buffer.from([0xff, 0xfe]), Buffer.from(`"}],"cursor":${BIG},"hasMore":false}`)]);
    pool.intercept({ path: (p) => p.startsWith("/api/document_deltas"), method: "GET" }).reply(200, bytes);
    const page = await client.documentDeltasRaw({ cursor: 1n });
    expect(page.cursor).toBe(BIG);
    const doc = page.values[0] as Record<string, unknown>;
    expect(doc).not.toBeInstanceOf(RawDocument);
    expect(doc._ts).toBe(BIG);
    expect(doc.s).toBe("\ufffd\ufffd");
  });
});
