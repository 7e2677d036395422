import { afterEach, describe, expect, it } from "vitest";
import { type ConvexEmulator, decodeId, formatFloat } from "../src/index.js";
import { asPage, call, type Page, startEmulator } from "./emulator-helpers.js";

let emu: ConvexEmulator;
afterEach(() => emu?.stop());

async function allSnapshotPages(e: ConvexEmulator, query = ""): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  let snapshot: bigint | undefined;
  for (;;) {
    const qs = new URLSearchParams(query);
    if (cursor !== null) qs.set("cursor", cursor);
    if (snapshot !== undefined) qs.set("snapshot", snapshot.toString());
    const r = await call(e, "GET", `/api/list_snapshot?${qs}`);
    expect(r.status).toBe(200);
    const page = asPage(r);
    pages.push(page);
    snapshot = page.snapshot;
    if (!page.hasMore) return pages;
    cursor = page.cursor as string;
  }
}

describe("ids and timestamps (§3)", () => {
  it("ids are 32-char base32 with a valid footer and user table numbers from 10001", async () => {
    emu = await startEmulator();
    const [a] = emu.insert("users", [{ x: 1 }]);
    const [b] = emu.insert("posts", [{ x: 1 }]);
    expect(a).toMatch(/^[0-9a-hjkmnp-tv-z]{32}$/);
    expect(decodeId(a as string)?.tableNumber).toBe(10001);
    expect(decodeId(b as string)?.tableNumber).toBe(10002);
    expect(decodeId("j574c73apj5r83vz83vfnmc5fx8a7x0g")?.tableNumber).toBe(10001);
  });

  it("commit timestamps are above 2^60, never multiples of 256, strictly increasing, one per transaction", async () => {
    emu = await startEmulator({ clock: { manual: true, startMs: 1_750_000_000_000 } });
    const t1 = emu.transaction((tx) => {
      tx.insert("t", { a: 1 });
      tx.insert("t", { a: 2 });
      return tx.ts;
    });
    const t2 = emu.transaction((tx) => tx.ts);
    expect(t1 > 1n << 60n).toBe(true);
    expect(t1 % 256n).not.toBe(0n);
    expect(t2 > t1).toBe(true);
    const page = asPage(await call(emu, "GET", "/api/list_snapshot"));
    expect(page.values.map((v) => v._ts)).toEqual([t1, t1]);
    expect(typeof page.snapshot).toBe("bigint");
  });
});

describe("value encodings (§3)", () => {
  it("formats floats like serde_json/ryu", () => {
    expect([1, 0.1, 1e21, 1e16, 1e15, 123.5, 1e-7, 0.0001, -0, 1.5e300, 2 ** 53].map(formatFloat)).toEqual([
      "1.0",
      "0.1",
      "1e21",
      "1e16",
      "1000000000000000.0",
      "123.5",
      "1e-7",
      "0.0001",
      "-0.0",
      "1.5e300",
      "9007199254740992.0",
    ]);
  });

  it("encodes every type in json, convex_encoded_json and export_json (and aliases)", async () => {
    emu = await startEmulator();
    const doc = { i: 1n, neg: -5n, f: 1, n: Number.NaN, inf: Number.POSITIVE_INFINITY, z: -0, b: new Uint8Array([1, 2, 3]), s: "x", a: [null, true] };
    emu.insert("t", [doc]);
    const text = async (format: string) => (await call(emu, "GET", `/api/list_snapshot?format=${format}`)).text;
    const clean = await text("json");
    expect(clean).toContain('"a":[null,true],"b":"AQID","f":1.0,"i":"1","inf":"Infinity","n":"NaN","neg":"-5","s":"x","z":-0.0}');
    const noSnap = (t: string) => t.replace(/"snapshot":\d+/, "");
    expect(noSnap(await text("convex_clean_json"))).toBe(noSnap(clean));
    const enc = await text("convex_encoded_json");
    expect(enc).toContain('"b":{"$bytes":"AQID"}');
    expect(enc).toContain('"i":{"$integer":"AQAAAAAAAAA="}');
    expect(enc).toContain('"z":{"$float":"AAAAAAAAAIA="}');
    expect(enc).toContain('"n":{"$float":"AAAAAAAA+H8="}');
    expect(await text("convex_json")).toContain('"i":{"$integer":"AQAAAAAAAAA="}');
    const exp = await text("export_json");
    expect(exp).toContain('"i":1,');
    expect(exp).toContain('"z":-0.0}');
    expect(exp).toContain('"b":{"$bytes":"AQID"}');
  });

  it("values carry _component,_table,_ts first then sorted fields; no _deleted in snapshots", async () => {
    emu = await startEmulator();
    emu.insert("t", [{ b: 1, A: 2, a: 3 }]);
    const text = (await call(emu, "GET", "/api/list_snapshot")).text;
    expect(text).toMatch(/\{"_component":"","_table":"t","_ts":\d+,"A":2\.0,"_creationTime":[\d.]+,"_id":"\w+","a":3\.0,"b":1\.0\}/);
    expect(text).not.toContain("_deleted");
  });

  it("BadFormat is reported after cursor/snapshot validation", async () => {
    emu = await startEmulator();
    emu.insert("t", [{ a: 1 }]);
    const r = await call(emu, "GET", "/api/list_snapshot?format=xml");
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ code: "BadFormat", message: "format param must be one of [`json`]. Got xml" });
    const c = await call(emu, "GET", "/api/list_snapshot?format=xml&cursor=garbage");
    expect((c.body as { code: string }).code).toBe("InvalidListSnapshotCursor");
    const d = await call(emu, "GET", "/api/document_deltas?format=xml");
    expect((d.body as { code: string }).code).toBe("DocumentDeltasCursorRequired");
  });
});

describe("list_snapshot (§4)", () => {
  it("pages one table at a time, ordered by tablet id, with empty pages and a null final cursor", async () => {
    emu = await startEmulator({ knobs: { snapshotPageSize: 10 } });
    emu.insert("alpha", Array.from({ length: 20 }, (_, i) => ({ i })));
    emu.insert("beta", Array.from({ length: 5 }, (_, i) => ({ i })));
    emu.transaction((tx) => tx.insert("gamma", { i: 0 }));
    emu.clearTables(["gamma"]); // an empty table
    const pages = await allSnapshotPages(emu);
    for (const p of pages) expect(new Set(p.values.map((v) => v._table)).size).toBeLessThanOrEqual(1);
    const last = pages[pages.length - 1] as Page;
    expect(last.cursor).toBeNull();
    expect(last.hasMore).toBe(false);
    expect(pages.some((p) => p.values.length === 0 && p.hasMore)).toBe(true);
    const all = pages.flatMap((p) => p.values);
    expect(all.length).toBe(25);
    expect(new Set(all.map((v) => v._id)).size).toBe(25);
    const cursor = JSON.parse(pages[0]?.cursor as string);
    expect(Object.keys(cursor)).toEqual(["tablet", "id"]);
    expect(cursor.tablet).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("snapshot is pinned across pages even when writes happen between pages", async () => {
    emu = await startEmulator({ knobs: { snapshotPageSize: 3 } });
    const ids = emu.insert("t", Array.from({ length: 6 }, (_, i) => ({ i })));
    const first = asPage(await call(emu, "GET", "/api/list_snapshot"));
    emu.transaction((tx) => {
      for (const id of ids) tx.patch(id, { i: 99 });
      tx.insert("t", { i: 100 });
    });
    emu.transaction((tx) => tx.delete(ids[5] as string));
    const qs = new URLSearchParams({ snapshot: String(first.snapshot), cursor: first.cursor as string });
    const rest = await allSnapshotPages(emu, qs.toString());
    const values = [...first.values, ...rest.flatMap((p) => p.values)];
    expect(values.length).toBe(6);
    expect(values.every((v) => v.i !== 99 && v.i !== 100)).toBe(true);
    expect(rest.every((p) => p.snapshot === first.snapshot)).toBe(true);
  });

  it("serves what each snapshot saw when pages are read again after writes (encoded pages are never stale)", async () => {
    emu = await startEmulator();
    const ids = emu.insert("t", [{ i: 1, s: "é" }, { i: 2 }]);
    const before = asPage(await call(emu, "GET", "/api/list_snapshot"));
    emu.transaction((tx) => tx.patch(ids[0] as string, { i: 10, s: "✓" }));
    const after = asPage(await call(emu, "GET", "/api/list_snapshot"));
    expect(after.values.map((v) => [v.i, v.s])).toEqual(expect.arrayContaining([[10, "✓"], [2, undefined]]));
    const again = asPage(await call(emu, "GET", `/api/list_snapshot?snapshot=${before.snapshot}`));
    expect(again.values).toEqual(before.values);
    expect(again.values.map((v) => v.i).sort()).toEqual([1, 2]);
  });

  it("selects by tableName/table_name + component, component alone, and POST selection", async () => {
    emu = await startEmulator();
    emu.insert("users", [{ a: 1 }]);
    emu.insert("users", [{ a: 2 }], { component: "comp" });
    emu.insert("other", [{ a: 3 }], { component: "comp" });
    const tablesOf = async (q: string) => (await allSnapshotPages(emu, q)).flatMap((p) => p.values).map((v) => `${v._component}/${v._table}`).sort();
    expect(await tablesOf("tableName=users")).toEqual(["/users"]);
    expect(await tablesOf("table_name=users&component=comp")).toEqual(["comp/users"]);
    expect(await tablesOf("component=comp")).toEqual(["comp/other", "comp/users"]);
    expect(await tablesOf("")).toEqual(["/users", "comp/other", "comp/users"]);
    expect(await tablesOf("tableName=nonexistent")).toEqual([]);
    const post = await call(emu, "POST", "/api/list_snapshot", {
      body: { selection: { _other: "excluded", comp: { _other: "excluded", users: { _other: "included", a: "excluded" } } } },
    });
    const vals = asPage(post).values;
    expect(vals.length).toBe(1);
    expect(vals[0]).not.toHaveProperty("a");
    expect(vals[0]).toHaveProperty("_id");
    // Malformed selection falls through to "everything".
    const all = await call(emu, "POST", "/api/list_snapshot", { body: { selection: { bogus: 1 } } });
    expect(asPage(all).values.length).toBeGreaterThanOrEqual(1);
    // Invalid names have no error metadata: the generic 500.
    const bad = await call(emu, "GET", "/api/list_snapshot?tableName=not-an-identifier");
    expect(bad.status).toBe(500);
    expect(bad.body).toEqual({ code: "InternalServerError", message: "Your request couldn't be completed. Try again later." });
  });

  it("SnapshotTooNew, SnapshotTooOld (5 days), InvalidListSnapshotCursor, negative snapshot → 500", async () => {
    emu = await startEmulator();
    emu.insert("t", [{ a: 1 }]);
    const page = asPage(await call(emu, "GET", "/api/list_snapshot"));
    const future = (page.snapshot as bigint) + 10n ** 15n;
    const tooNew = await call(emu, "GET", `/api/list_snapshot?snapshot=${future}`);
    expect(tooNew.body).toEqual({ code: "SnapshotTooNew", message: `Snapshot value ${future} is in the future.` });
    const badCursor = await call(emu, "GET", "/api/list_snapshot?cursor=%7B%7D");
    expect(badCursor.status).toBe(400);
    expect(badCursor.body).toEqual({
      code: "InvalidListSnapshotCursor",
      message:
        "Invalid value for the `cursor` argument of list_snapshot. Use a `cursor` returned by a previous list_snapshot call, and treat it as an opaque value.",
    });
    expect((await call(emu, "GET", "/api/list_snapshot?snapshot=-1")).status).toBe(500);
    emu.advanceClock(5 * 24 * 3600 * 1000 + 1000);
    const old = await call(emu, "GET", `/api/list_snapshot?snapshot=${page.snapshot}`);
    expect(old.status).toBe(400);
    expect(old.body).toEqual({ code: "SnapshotTooOld", message: `Snapshot value ${page.snapshot} is too far in the past.` });
  });

  it("POST body type errors are BadJsonBody", async () => {
    emu = await startEmulator();
    const r = await call(emu, "POST", "/api/list_snapshot", { body: { snapshot: "123" } });
    expect(r.status).toBe(400);
    expect((r.body as { message: string }).message).toMatch(/^Failed to deserialize the JSON body into the target type: /);
  });
});

describe("document_deltas (§5)", () => {
  it("requires a cursor", async () => {
    emu = await startEmulator();
    const r = await call(emu, "GET", "/api/document_deltas");
    expect(r.body).toEqual({ code: "DocumentDeltasCursorRequired", message: "/api/document_deltas requires a cursor" });
    const s = await call(emu, "POST", "/api/document_deltas", { body: { cursor: "123" } });
    expect((s.body as { code: string }).code).toBe("BadJsonBody");
  });

  it("exclusive cursor, _deleted on every value, deletes carry only the five keys, caught-up cursor = now", async () => {
    emu = await startEmulator();
    const [id] = emu.insert("t", [{ a: 1 }]);
    const snap = asPage(await call(emu, "GET", "/api/list_snapshot")).snapshot as bigint;
    emu.transaction((tx) => tx.patch(id as string, { a: 2 }));
    emu.transaction((tx) => tx.delete(id as string));
    const r = await call(emu, "GET", `/api/document_deltas?cursor=${snap}`);
    const page = r.body as { values: Record<string, unknown>[]; cursor: bigint; hasMore: boolean };
    expect(page.values.length).toBe(2);
    expect(page.values[0]).toMatchObject({ _deleted: false, a: 2, _id: id });
    expect(Object.keys(page.values[1] as object)).toEqual(["_component", "_table", "_ts", "_deleted", "_id"]);
    expect(page.hasMore).toBe(false);
    expect(typeof page.cursor).toBe("bigint");
    expect(r.text).toMatch(/"cursor":\d+,/);
    const again = (await call(emu, "GET", `/api/document_deltas?cursor=${page.cursor}`)).body as typeof page;
    expect(again.values).toEqual([]);
    expect(again.cursor >= page.cursor).toBe(true);
    // Exclusive: the delete's own ts as cursor returns nothing.
    const ts = page.values[1]?._ts as bigint;
    expect(((await call(emu, "GET", `/api/document_deltas?cursor=${ts}`)).body as typeof page).values).toEqual([]);
  });

  it("128-row budget counts system rows and never splits a transaction", async () => {
    emu = await startEmulator({ knobs: { deltasPageSize: 5 } });
    const start = emu.transaction((tx) => tx.ts);
    emu.insert("big", Array.from({ length: 12 }, (_, i) => ({ i }))); // one transaction of 12
    emu.systemWrites(7);
    emu.insert("t", [{ a: 1 }]);
    const pages: { values: Record<string, unknown>[]; cursor: bigint; hasMore: boolean }[] = [];
    let cursor = start;
    for (;;) {
      const p = (await call(emu, "GET", `/api/document_deltas?cursor=${cursor}`)).body as (typeof pages)[number];
      pages.push(p);
      cursor = p.cursor;
      if (!p.hasMore) break;
    }
    expect(pages[0]?.values.length).toBe(12);
    expect(pages.some((p) => p.values.length === 0 && p.hasMore)).toBe(true);
    expect(pages.flatMap((p) => p.values).map((v) => v._table)).toEqual([...Array(12).fill("big"), "t"]);
  });

  it("clear_tables emits no delete deltas", async () => {
    emu = await startEmulator();
    emu.insert("t", [{ a: 1 }, { a: 2 }]);
    const cursor = emu.latestTimestamp;
    const r = await call(emu, "PUT", "/api/streaming_import/clear_tables", { body: { tableNames: ["t"] } });
    expect(r.status).toBe(200);
    const d = (await call(emu, "GET", `/api/document_deltas?cursor=${cursor}`)).body as Page;
    expect(d.values).toEqual([]);
    expect(emu.readTable("t")).toEqual([]);
  });

  it("InvalidWindowToReadDocuments past the 14-day retention", async () => {
    emu = await startEmulator();
    emu.insert("t", [{ a: 1 }]);
    const cursor = emu.latestTimestamp;
    emu.advanceClock(15 * 24 * 3600 * 1000);
    const r = await call(emu, "GET", `/api/document_deltas?cursor=${cursor}`);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      code: "InvalidWindowToReadDocuments",
      message: `Trying to synchronize from timestamp ${cursor + 1n}, which is older than the database\u2019s retention window. This may happen if you paused your Fivetran or Airbyte connector for a long period of time. Please perform a full sync of the connector. See https://fivetran.com/docs/connectors/troubleshooting/trigger-historical-re-syncs or https://docs.airbyte.com/platform/operator-guides/refreshes`,
    });
  });
});

describe("json_schemas and column names (§7, §8)", () => {
  it("infers schemas with $description tags, deltaSchema and byComponent", async () => {
    emu = await startEmulator();
    const [uid] = emu.insert("users", [{ name: "a", n: 1n, f: 1.5, b: new Uint8Array([1]), tags: ["x"], nested: { x: 1 } }]);
    emu.insert("users", [{ name: "b", n: 2n, f: Number.NaN, opt: null, u: 1 }]);
    emu.insert("posts", [{ author: uid, u: "s" }]);
    emu.insert("posts", [{ author: uid, u: 1 }]);
    emu.transaction((tx) => tx.delete(tx.insert("empty", {})));
    emu.insert("events", [{ a: 1 }], { component: "analytics" });
    const r = await call(emu, "GET", "/api/json_schemas");
    const s = r.body as Record<string, Record<string, unknown>>;
    expect(Object.keys(s).sort()).toEqual(["empty", "events", "posts", "users"]);
    const users = s.users as { properties: Record<string, unknown>; required: string[] };
    expect(users.properties._id).toEqual({ $description: "Id(users)", type: "string" });
    expect(users.properties.n).toEqual({ $description: "int64 represented as base10 string", type: "string" });
    expect(users.properties.b).toEqual({ $description: "base64 bytes", type: "string" });
    expect(users.properties.f).toEqual({ $description: "float64", anyOf: [{ type: "number" }, { type: "string", $description: "-inf, inf, or NaN" }] });
    expect(users.required).toEqual(["_creationTime", "_id", "f", "n", "name"]);
    expect((s.posts as { properties: Record<string, unknown> }).properties.author).toEqual({ $description: "Id(users)", type: "string" });
    expect((s.posts as { properties: Record<string, unknown> }).properties.u).toEqual({ anyOf: [{ type: "number" }, { type: "string" }] });
    expect(s.empty).toEqual({
      type: "object",
      properties: { _creationTime: { type: "number" }, _id: { $description: "Id(empty)", type: "string" } },
      additionalProperties: false,
      required: ["_creationTime", "_id"],
      $schema: "http://json-schema.org/draft-07/schema#",
    });
    expect(r.text).toMatch(/"\$schema":"http:\/\/json-schema.org\/draft-07\/schema#"\}/);
    const d = (await call(emu, "GET", "/api/json_schemas?deltaSchema=true")).body as Record<string, { properties: Record<string, unknown> }>;
    expect(Object.keys(d.users?.properties ?? {}).slice(-4)).toEqual(["_table", "_component", "_ts", "_deleted"]);
    const byC = (await call(emu, "GET", "/api/json_schemas?byComponent=true")).body as Record<string, Record<string, unknown>>;
    expect(Object.keys(byC.analytics ?? {})).toEqual(["events"]);
    const enc = (await call(emu, "GET", "/api/json_schemas?format=convex_encoded_json")).body as Record<string, { properties: Record<string, { $description?: string }> }>;
    expect(enc.users?.properties.n?.$description).toBe("int64");
  });

  it("NoSchemaForExport for non-identifier or >64-field documents unless an active schema exists", async () => {
    emu = await startEmulator();
    emu.insert("t", [{ "first name": "x" }]);
    const r = await call(emu, "GET", "/api/json_schemas");
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ code: "NoSchemaForExport", message: "There is no active schema, which is needed for streaming export." });
    emu.setActiveSchema("other", { type: "object" });
    expect((await call(emu, "GET", "/api/json_schemas")).body).toEqual({
      code: "NoTableDefinitionForExport",
      message: 'The table "t" does not have a schema, which is needed for streaming export.',
    });
    emu.setActiveSchema("t", { type: "object", properties: { "first name": { type: "string" } } });
    const ok = (await call(emu, "GET", "/api/json_schemas")).body as Record<string, Record<string, unknown>>;
    expect(ok.t?.$schema).toBe("http://json-schema.org/draft-07/schema#");
    emu.clearActiveSchema();
    const wide = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}`, i]));
    emu.clearTables(["t"]);
    emu.insert("t", [wide]);
    expect((await call(emu, "GET", "/api/json_schemas")).status).toBe(400);
  });

  it("get_table_column_names", async () => {
    emu = await startEmulator();
    emu.insert("users", [{ b: 1, a: 2 }]);
    const r = await call(emu, "GET", "/api/get_table_column_names");
    expect(r.body).toEqual({ byComponent: { "": [{ name: "users", columns: ["_creationTime", "_id", "a", "b"] }] } });
  });
});
