import { afterEach, describe, expect, it } from "vitest";
import type { ConvexEmulator } from "../src/index.js";
import { call, type Page, startEmulator } from "./emulator-helpers.js";

let emu: ConvexEmulator;
afterEach(() => emu?.stop());

const IMPORT = "/api/streaming_import/import_airbyte_records";
const importBody = (tables: Record<string, string[][] | null>, messages: { tableName: string; data: unknown }[]) => ({
  tables: Object.fromEntries(Object.entries(tables).map(([k, pk]) => [k, { primaryKey: pk, jsonSchema: null }])),
  messages,
});

describe("import_airbyte_records (§10.1)", () => {
  it("sanitizes table and field names recursively; numbers become float64; strips source_ab_cdc*", async () => {
    emu = await startEmulator();
    const r = await call(emu, "POST", IMPORT, {
      rawBody: `{"tables":{"My Table":{"primaryKey":null,"jsonSchema":{}}},"messages":[{"tableName":"My Table","data":{"_id":1,"$type":"t","héllo":2,"first name":"x","MyField":{"_inner":[{"$x":1}]},"big":12345678901234567890,"_ab_cdc_lsn":98765432109876543210,"_ab_cdc_updated_at":"t"}}]}`,
      headers: { "content-type": "application/json" },
    });
    expect(r.status).toBe(200);
    expect(r.text).toBe("");
    const [doc] = emu.readTable("source_my_table");
    expect(doc).toMatchObject({ source_id: 1, source_type: "t", source_hello: 2, "first name": "x", MyField: { source_inner: [{ source_x: 1 }] } });
    expect(typeof doc?.big).toBe("number");
    expect(Object.keys(doc ?? {}).some((k) => k.startsWith("source_ab_cdc"))).toBe(false);
    // Field collisions are prefixed again.
    await call(emu, "POST", IMPORT, {
      rawBody: `{"tables":{"c":{"jsonSchema":null}},"messages":[{"tableName":"c","data":{"_a":1,"source_a":2}}]}`,
      headers: { "content-type": "application/json" },
    });
    expect(emu.readTable("c")[0]).toMatchObject({ source_a: 1, source_source_a: 2 });
  });

  it("append mode inserts even CDC-deleted records", async () => {
    emu = await startEmulator();
    const r = await call(emu, "POST", IMPORT, { body: importBody({ t: null }, [{ tableName: "t", data: { a: 1, _ab_cdc_deleted_at: "2024" } }]) });
    expect(r.status).toBe(200);
    expect(emu.readTable("t")).toHaveLength(1);
  });

  it("dedup: requires the index, replaces, deletes, inserts-even-if-deleted, >1 match → 500", async () => {
    emu = await startEmulator({ knobs: { indexBackfillPolls: 1 } });
    const noIndex = await call(emu, "POST", IMPORT, { body: importBody({ t: [["k"]] }, [{ tableName: "t", data: { k: 1 } }]) });
    expect(noIndex.body).toEqual({ code: "IndexNotFoundError", message: "Index t._by_airbyte_primary_key not found." });
    expect((await call(emu, "PUT", "/api/streaming_import/add_primary_key_indexes", { body: { indexes: { t: [["k"]] } } })).status).toBe(200);
    const backfilling = await call(emu, "POST", IMPORT, { body: importBody({ t: [["k"]] }, [{ tableName: "t", data: { k: 1 } }]) });
    expect(backfilling.body).toEqual({
      code: "IndexBackfillingError",
      message: "Index t._by_airbyte_primary_key is currently backfilling and not available to query yet.",
    });
    const ready = async () => (await call(emu, "GET", "/api/streaming_import/primary_key_indexes_ready", { body: { tables: ["t"] } })).body;
    expect(await ready()).toEqual({ indexesReady: false });
    expect(await ready()).toEqual({ indexesReady: true });
    const send = (data: unknown) => call(emu, "POST", IMPORT, { body: importBody({ t: [["k"]] }, [{ tableName: "t", data }]) });
    await send({ k: 1, v: "a" });
    const [first] = emu.readTable("t");
    await send({ k: 1, v: "b" });
    const [replaced] = emu.readTable("t");
    expect(replaced).toMatchObject({ _id: first?._id, _creationTime: first?._creationTime, v: "b" });
    await send({ k: 1, _ab_cdc_deleted_at: "now" });
    expect(emu.readTable("t")).toHaveLength(0);
    await send({ k: 2, _ab_cdc_deleted_at: "now" });
    expect(emu.readTable("t")).toHaveLength(1);
    const missing = await send({ other: 1 });
    expect(missing.body).toEqual({ code: "MissingPrimaryKeyValue", message: 'Missing value for primary key field: "k".' });
    await call(emu, "POST", IMPORT, { body: importBody({ t: null }, [{ tableName: "t", data: { k: 2 } }]) });
    expect((await send({ k: 2 })).status).toBe(500);
  });

  it("MissingStream, EmptyPrimaryKey, body shape errors", async () => {
    emu = await startEmulator();
    const ms = await call(emu, "POST", IMPORT, { body: importBody({}, [{ tableName: "x", data: {} }]) });
    expect(ms.body).toEqual({ code: "MissingStream", message: "Missing stream for table x" });
    const ep = await call(emu, "POST", IMPORT, { body: importBody({ x: [] }, []) });
    expect(ep.body).toEqual({ code: "EmptyPrimaryKey", message: "Primary keys cannot be empty" });
    const mf = await call(emu, "POST", IMPORT, { body: { tables: {} } });
    expect((mf.body as { code: string; message: string }).message).toContain("missing field `messages`");
    const nonObject = await call(emu, "POST", IMPORT, { body: importBody({ x: null }, [{ tableName: "x", data: [1] }]) });
    expect(nonObject.status).toBe(500);
  });

  it("value limits reject the whole request before any write", async () => {
    emu = await startEmulator();
    const fields = Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`f${i}`, i]));
    const r = await call(emu, "POST", IMPORT, { body: importBody({ x: null }, [{ tableName: "x", data: { a: 1 } }, { tableName: "x", data: fields }]) });
    expect(r.body).toEqual({ code: "TooManyFieldsError", message: "Object has too many fields (1025 > maximum number 1024)" });
    const arr = await call(emu, "POST", IMPORT, { body: importBody({ x: null }, [{ tableName: "x", data: { a: new Array(8193).fill(0) } }]) });
    expect(arr.body).toEqual({ code: "ArrayTooLong", message: "Array length is too long (8193 > maximum length 8192)" });
    expect(emu.readTable("x")).toEqual([]);
  });

  it("document limits: 1 MiB and nesting 16", async () => {
    emu = await startEmulator();
    const big = await call(emu, "POST", IMPORT, { body: importBody({ x: null }, [{ tableName: "x", data: { s: "a".repeat(1 << 20) } }]) });
    expect(big.status).toBe(400);
    expect((big.body as { code: string; message: string }).code).toBe("ValueTooLargeError");
    expect((big.body as { message: string }).message).toMatch(/^Value is too large \(\d+ > maximum size 1048576\)$/);
    let deep: unknown = 1;
    for (let i = 0; i < 17; i++) deep = { d: deep };
    const nested = await call(emu, "POST", IMPORT, { body: importBody({ x: null }, [{ tableName: "x", data: deep }]) });
    expect((nested.body as { code: string }).code).toBe("InvalidDocumentError");
    expect((nested.body as { message: string }).message).toContain("Document is too nested (nested 17 levels deep > maximum nesting 16)");
  });

  it("writes are chunked non-atomically (one timestamp per chunk); empty messages commit", async () => {
    emu = await startEmulator({ knobs: { txnMaxWrites: 3 } });
    const cursor = emu.transaction((tx) => tx.ts);
    const msgs = Array.from({ length: 7 }, (_, i) => ({ tableName: "x", data: { i } }));
    const r = await call(emu, "POST", IMPORT, { body: importBody({ x: null }, [...msgs, { tableName: "nope", data: {} }]) });
    expect((r.body as { code: string }).code).toBe("MissingStream");
    // Two full chunks of 3 committed; the third chunk (1 write + the failure) was lost.
    expect(emu.readTable("x")).toHaveLength(6);
    const d = (await call(emu, "GET", `/api/document_deltas?cursor=${cursor}`)).body as Page;
    expect(new Set(d.values.map((v) => v._ts)).size).toBe(2);
    const before = emu.latestTimestamp;
    expect((await call(emu, "POST", IMPORT, { body: importBody({}, []) })).status).toBe(200);
    expect(emu.latestTimestamp > before).toBe(true);
  });
});

describe("indexes, clear_tables, replace_tables (§10.3–§10.6)", () => {
  const ADD = "/api/streaming_import/add_primary_key_indexes";
  it("add_primary_key_indexes validation, idempotency and table creation", async () => {
    emu = await startEmulator();
    const idKey = await call(emu, "PUT", ADD, { body: { indexes: { t: [["_id"]] } } });
    expect(idKey.body).toEqual({
      code: "InvalidPrimaryKey",
      message: 'Invalid primary key: Identifiers must start with a letter and can only contain letters, digits, and underscores. [["_id"]].',
    });
    expect((await call(emu, "PUT", ADD, { body: { indexes: { t: [["a-b"]] } } })).status).toBe(400);
    expect((await call(emu, "PUT", ADD, { body: { indexes: { t: [["_x"]] } } })).body).toEqual({
      code: "IndexFieldNameReserved",
      message: "Reserved fields (starting with `_`) are not allowed in indexes.",
    });
    const sixteen = Array.from({ length: 16 }, (_, i) => [`f${i}`]);
    expect((await call(emu, "PUT", ADD, { body: { indexes: { t: sixteen } } })).body).toEqual({
      code: "IndexTooManyFields",
      message: "Indexes may have up to 16 fields.",
    });
    expect((await call(emu, "PUT", ADD, { body: { indexes: { "My T": [["a"], ["b", "c"]] } } })).status).toBe(200);
    expect(emu.tables().map((t) => t.name)).toEqual(["source_my_t"]);
    expect((await call(emu, "PUT", ADD, { body: { indexes: { "My T": [["a"], ["b", "c"]] } } })).status).toBe(200);
    expect(emu.primaryKeyIndex("source_my_t")?.fields).toEqual([["a"], ["b", "c"]]);
    const missing = await call(emu, "GET", "/api/streaming_import/primary_key_indexes_ready", { body: { tables: ["zzz"] } });
    expect(missing.body).toEqual({ code: "MissingIndex", message: "Missing index: zzz._by_airbyte_primary_key" });
    const none = await call(emu, "GET", "/api/streaming_import/primary_key_indexes_ready", { body: { tables: [] } });
    expect(none.body).toEqual({ indexesReady: true });
  });

  it("clear_tables creates missing tables and swaps the tablet atomically", async () => {
    emu = await startEmulator();
    emu.insert("t", [{ a: 1 }]);
    const r = await call(emu, "PUT", "/api/streaming_import/clear_tables", { body: { tableNames: ["t", "new_one"] } });
    expect([r.status, r.text]).toEqual([200, ""]);
    expect(emu.tables().map((t) => [t.name, t.count]).sort()).toEqual([["new_one", 0], ["t", 0]]);
  });

  it("replace_tables: 400 OverwriteNotSupported without permission check; wrong key still 401", async () => {
    emu = await startEmulator();
    const path = "/api/streaming_import/replace_tables";
    const r = await call(emu, "POST", path, { key: null, body: { tableNames: { a: "b" } } });
    expect(r.body).toEqual({ code: "OverwriteNotSupported", message: "Overwrite sync mode is not supported. Please use a different sync mode." });
    expect((await call(emu, "POST", path, { key: "nope-nope", body: { tableNames: {} } })).status).toBe(401);
    expect((await call(emu, "POST", path, { body: { other: 1 } })).body).toMatchObject({ code: "BadJsonBody" });
  });
});
