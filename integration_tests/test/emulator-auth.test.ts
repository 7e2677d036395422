import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConvexEmulator } from "../src/index.js";
import { call, KEY, RO_KEY, startEmulator } from "./emulator-helpers.js";

let emu: ConvexEmulator;
beforeAll(async () => {
  emu = await startEmulator();
  emu.insert("users", [{ name: "Ada" }]);
});
afterAll(() => emu.stop());

const BAD_DEPLOY_KEY =
  "The provided deploy key was invalid for this deployment. Double check that the environment this key was generated for matches the desired deployment.";

describe("authentication (§2.3)", () => {
  it("accepts the configured key and strips the type prefix", async () => {
    expect((await call(emu, "GET", "/api/test_streaming_export_connection")).text).toBe("null");
    const stripped = KEY.slice(KEY.indexOf(":") + 1);
    expect((await call(emu, "GET", "/api/test_streaming_export_connection", { key: stripped })).status).toBe(200);
    expect((await call(emu, "GET", "/api/test_streaming_export_connection", { key: `dev:${stripped}` })).status).toBe(200);
  });

  it("no header → 403 BadDeployKey", async () => {
    const r = await call(emu, "GET", "/api/list_snapshot", { key: null });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ code: "BadDeployKey", message: BAD_DEPLOY_KEY });
  });

  it("unknown key (another deployment's) → 401 BadAdminKey", async () => {
    const r = await call(emu, "GET", "/api/list_snapshot", { key: "prod:other-deployment|ffff" });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ code: "BadAdminKey", message: "The provided admin key was invalid for this instance" });
  });

  it("other scheme → 400 InvalidAdminKey; short header → 400 InvalidHeaderFailure", async () => {
    const basic = await call(emu, "GET", "/api/list_snapshot", { headers: { authorization: "Basic abcdefgh" } });
    expect(basic.status).toBe(400);
    expect(basic.body).toEqual({ code: "InvalidAdminKey", message: "Invalid admin key" });
    const short = await call(emu, "GET", "/api/list_snapshot", { headers: { authorization: "abc" } });
    expect(short.status).toBe(400);
    expect(short.body).toEqual({ code: "InvalidHeaderFailure", message: "Invalid authentication header" });
  });

  it("bearer tokens are user identities → 403 BadDeployKey", async () => {
    const r = await call(emu, "GET", "/api/list_snapshot", { headers: { authorization: "Bearer xyz.abc.def" } });
    expect(r.status).toBe(403);
    expect((r.body as { code: string }).code).toBe("BadDeployKey");
  });

  it("?adminKey= is accepted without a header", async () => {
    const r = await call(emu, "GET", `/api/list_snapshot?adminKey=${encodeURIComponent(KEY)}`, { key: null });
    expect(r.status).toBe(200);
  });

  it("read-only key exports but gets 403 OperationNotPermitted on import", async () => {
    expect((await call(emu, "GET", "/api/list_snapshot", { key: RO_KEY })).status).toBe(200);
    const r = await call(emu, "POST", "/api/streaming_import/import_airbyte_records", {
      key: RO_KEY,
      body: { tables: {}, messages: [] },
    });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      code: "OperationNotPermitted",
      message: "You do not have permission to perform this operation (deployment:backups:import).",
    });
  });

  it("StreamingExportNotEnabled is checked before permission, after key validation", async () => {
    emu.setStreamingExportEnabled(false);
    try {
      const noKey = await call(emu, "GET", "/api/list_snapshot", { key: null });
      expect(noKey.status).toBe(403);
      expect(noKey.body).toEqual({
        code: "StreamingExportNotEnabled",
        message: "Streaming export is not available on your current subscription. See https://www.convex.dev/plans to upgrade.",
      });
      expect((await call(emu, "GET", "/api/list_snapshot", { key: "wrong-key-123" })).status).toBe(401);
      // Import is not plan-gated.
      const imp = await call(emu, "POST", "/api/streaming_import/import_airbyte_records", { body: { tables: {}, messages: [] } });
      expect(imp.status).toBe(200);
    } finally {
      emu.setStreamingExportEnabled(true);
    }
  });

  it("Convex-Client without '-' → 400 InvalidClientVersion on every route", async () => {
    for (const path of ["/api/list_snapshot", "/version", "/api/nope"]) {
      const r = await call(emu, "GET", path, { headers: { "convex-client": "foo" } });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({
        code: "InvalidClientVersion",
        message:
          "Failed to parse client version string: 'foo'. Expected format is {client_name}-{semver}, e.g. my-esolang-client-0.0.1",
      });
    }
    const ok = await call(emu, "GET", "/api/list_snapshot", { headers: { "convex-client": "airbyte-export-0.4.0" } });
    expect(ok.status).toBe(200);
  });
});

describe("routing and extractors (§1, §2.2)", () => {
  it("GET /version is plain text without auth", async () => {
    const r = await call(emu, "GET", "/version", { key: null });
    expect(r.status).toBe(200);
    expect(String(r.headers["content-type"])).toMatch(/^text\/plain/);
    expect(r.text.length).toBeGreaterThan(0);
  });

  it("unknown path → 404 empty; wrong method → 405 empty", async () => {
    const a = await call(emu, "GET", "/api/unknown");
    expect([a.status, a.text]).toEqual([404, ""]);
    const b = await call(emu, "DELETE", "/api/list_snapshot");
    expect([b.status, b.text]).toEqual([405, ""]);
    const c = await call(emu, "POST", "/api/streaming_import/clear_tables", { body: { tableNames: [] } });
    expect(c.status).toBe(405);
  });

  it("query errors come before auth on export GETs", async () => {
    const r = await call(emu, "GET", "/api/list_snapshot?snapshot=abc", { key: null });
    expect(r.status).toBe(400);
    expect((r.body as { code: string }).code).toBe("BadQueryArgs");
    expect((r.body as { message: string }).message).toMatch(/^Failed to deserialize query string: /);
    const b = await call(emu, "GET", "/api/json_schemas?deltaSchema=yes", { key: null });
    expect((b.body as { code: string }).code).toBe("BadQueryArgs");
  });

  it("auth comes before the JSON body on POSTs", async () => {
    const r = await call(emu, "POST", "/api/list_snapshot", { key: "bad-key-xyz", rawBody: "{not json" });
    expect(r.status).toBe(401);
    const noKey = await call(emu, "POST", "/api/streaming_import/import_airbyte_records", { key: null, rawBody: "{" });
    // No header is not an error at extraction: the body error comes first, then permission.
    expect(noKey.status).toBe(400);
  });

  it("JSON bodies need Content-Type application/json (or +json)", async () => {
    const r = await call(emu, "POST", "/api/list_snapshot", { rawBody: "{}", headers: { "content-type": "text/plain" } });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ code: "BadJsonBody", message: "Expected request with `Content-Type: application/json`" });
    const plus = await call(emu, "POST", "/api/list_snapshot", {
      rawBody: "{}",
      headers: { "content-type": "application/vnd.api+json; charset=utf-8" },
    });
    expect(plus.status).toBe(200);
    const bad = await call(emu, "POST", "/api/list_snapshot", { rawBody: "{x", headers: { "content-type": "application/json" } });
    expect((bad.body as { code: string; message: string }).code).toBe("BadJsonBody");
    expect((bad.body as { message: string }).message).toMatch(/^Failed to parse the request body as JSON/);
  });

  it("body limits: 2 MiB generally, 20 MiB for import_airbyte_records", async () => {
    const big = JSON.stringify({ tableNames: ["x".repeat(2 * 1024 * 1024)] });
    const r = await call(emu, "PUT", "/api/streaming_import/clear_tables", { rawBody: big, headers: { "content-type": "application/json" } });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ code: "BadJsonBody", message: "Failed to buffer the request body: length limit exceeded" });
    const filler = "y".repeat(1000);
    const messages = Array.from({ length: 3000 }, () => ({ tableName: "big", data: { filler } }));
    const ok = await call(emu, "POST", "/api/streaming_import/import_airbyte_records", {
      body: { tables: { big: { primaryKey: null, jsonSchema: null } }, messages },
    });
    expect(ok.status).toBe(200);
    const tooBig = Array.from({ length: 21_000 }, () => ({ tableName: "big", data: { filler } }));
    const no = await call(emu, "POST", "/api/streaming_import/import_airbyte_records", {
      body: { tables: { big: { primaryKey: null, jsonSchema: null } }, messages: tooBig },
    });
    expect(no.status).toBe(400);
    expect((no.body as { message: string }).message).toContain("length limit exceeded");
  });

  it("logs requests", async () => {
    emu.clearRequests();
    await call(emu, "GET", "/api/list_snapshot?tableName=users");
    const [entry] = emu.requests;
    expect(entry).toMatchObject({ method: "GET", path: "/api/list_snapshot", query: { tableName: "users" }, status: 200 });
  });
});
