import { describe, expect, it } from "vitest";
import { buildStream, discoverCatalog, groupByComponent } from "../src/discover.js";
import { mapTableSchema, mapValueSchema } from "../src/schema-mapping.js";
import { fakeLogger } from "./helpers.js";

// The Python connector's unit-test response (old `$id` shapes), reference §1.5.
const PYTHON_SAMPLE = {
  posts: { type: "object", properties: { _creationTime: { type: "number" }, _id: { $description: "Id(posts)", type: "object", properties: { $id: { type: "string" } } }, author: { $description: "Id(users)", type: "object", properties: { $id: { type: "string" } } }, body: { type: "string" }, _ts: { type: "integer" }, _deleted: { type: "boolean" } }, $schema: "http://json-schema.org/draft-07/schema#" },
  users: { type: "object", properties: { _creationTime: { type: "number" }, _id: { $description: "Id(users)", type: "object", properties: { $id: { type: "string" } } }, name: { type: "string" }, tokenIdentifier: { type: "string" }, _ts: { type: "integer" }, _deleted: { type: "boolean" } }, $schema: "http://json-schema.org/draft-07/schema#" },
};

describe("schema mapping", () => {
  it("gives the Python connector's property sets and additionalProperties", () => {
    const posts = mapTableSchema("posts", structuredClone(PYTHON_SAMPLE.posts)).schema;
    expect(new Set(Object.keys(posts.properties as object))).toEqual(new Set(["_id", "_ts", "_deleted", "_creationTime", "author", "body", "_ab_cdc_lsn", "_ab_cdc_updated_at", "_ab_cdc_deleted_at"]));
    expect(posts.additionalProperties).toBe(true);
    const props = posts.properties as Record<string, unknown>;
    expect(props._ab_cdc_lsn).toEqual({ type: "number" });
    expect(props._ab_cdc_updated_at).toEqual({ type: "string" });
    expect(props._ab_cdc_deleted_at).toEqual({ anyOf: [{ type: "string" }, { type: "null" }] });
    expect(posts.$schema).toBe("http://json-schema.org/draft-07/schema#");
  });
  it("does not fail on a union schema without properties (Python KeyError), and warns", () => {
    const mapped = mapTableSchema("mixed", { anyOf: [{ type: "object", properties: { a: { type: "string" } } }, { type: "object", properties: { b: { type: "number" } } }] });
    expect(mapped.warning).toMatch(/union/);
    expect(mapped.schema.type).toBe("object");
    expect(mapped.schema.additionalProperties).toBe(true);
    expect(Object.keys(mapped.schema.properties as object)).toEqual(expect.arrayContaining(["_id", "_ts", "_deleted", "_ab_cdc_lsn"]));
  });
  it("handles schemas with no properties and empty schemas", () => {
    expect(mapTableSchema("t", { type: "object" }).warning).toBeDefined();
    expect(mapTableSchema("t", {}).schema.type).toBe("object");
    expect(mapTableSchema("t", null).schema.type).toBe("object");
  });
  it("drops the top-level required list (tombstones carry only _id)", () => {
    const s = mapTableSchema("t", { type: "object", properties: { _id: { type: "string" }, a: { type: "string" } }, required: ["_id", "a"], additionalProperties: false }).schema;
    expect(s).not.toHaveProperty("required");
    expect(s.additionalProperties).toBe(true);
  });
  it("maps Convex $description types to typeable schemas", () => {
    expect(mapValueSchema({ $description: "int64 represented as base10 string", type: "string" })).toMatchObject({ type: "string", description: expect.stringMatching(/int64/) });
    expect(mapValueSchema({ $description: "base64 bytes", type: "string" })).toMatchObject({ type: "string", contentEncoding: "base64" });
    expect(mapValueSchema({ $description: "Id(users)", type: "string" })).toMatchObject({ type: "string", description: expect.stringMatching(/users/) });
    expect(mapValueSchema({ $description: "float64", anyOf: [{ type: "number" }, { type: "string", $description: "-inf, inf, or NaN" }] })).toMatchObject({ type: ["number", "string"] });
    expect(mapValueSchema({ type: "object", $description: "Record with keys of type string", additionalProperties: { type: { type: "number" } } })).toMatchObject({ type: "object", additionalProperties: true });
    expect(mapValueSchema({ type: "array", items: false })).toEqual({ type: "array", items: {} });
    const nested = mapValueSchema({ type: "object", properties: { n: { $description: "int64 represented as base10 string", type: "string" } }, additionalProperties: false }) as Record<string, Record<string, Record<string, unknown>>>;
    expect(nested.properties?.n?.type).toBe("string");
    expect(nested.additionalProperties).toBe(true);
  });
});

describe("discover", () => {
  it("builds Python-compatible streams", () => {
    const s = buildStream("users", "", { type: "object" });
    expect(s).toEqual({ name: "users", json_schema: { type: "object" }, supported_sync_modes: ["full_refresh", "incremental"], source_defined_cursor: true, default_cursor_field: ["_ts"], source_defined_primary_key: [["_id"]], is_resumable: true });
    expect(buildStream("t", "comp", {}).namespace).toBe("comp");
  });
  it("reads byComponent answers and flat answers from old backends", () => {
    expect([...groupByComponent({ "": { users: { type: "object" }, type: { type: "object" } }, comp: { t: { type: "object" } } }).keys()]).toEqual(["", "comp"]);
    const flat = groupByComponent(PYTHON_SAMPLE);
    expect([...flat.keys()]).toEqual([""]);
    expect([...(flat.get("") ?? new Map()).keys()]).toEqual(["posts", "users"]);
  });
  it("falls back to get_table_column_names when json_schemas refuses", async () => {
    const log = fakeLogger();
    const api = {
      jsonSchemas: async () => {
        throw Object.assign(new Error("There is no active schema"), { code: "NoSchemaForExport", status: 400 });
      },
      getTableColumnNames: async () => ({ byComponent: { "": [{ name: "weird", columns: ["_id", "_creationTime", "first name"] }], c: [{ name: "x", columns: [] }] } }),
    };
    const cat = await discoverCatalog(api as never, log.logger);
    expect(cat.streams.map((s) => [s.name, s.namespace])).toEqual([["weird", undefined], ["x", "c"]]);
    expect(Object.keys(cat.streams[0]?.json_schema.properties as object)).toContain("first name");
    expect(log.lines.some((l) => l.startsWith("WARN"))).toBe(true);
  });
  it("rethrows other json_schemas errors", async () => {
    const api = { jsonSchemas: async () => Promise.reject(Object.assign(new Error("bad key"), { code: "BadAdminKey", status: 401 })) };
    await expect(discoverCatalog(api as never, fakeLogger().logger)).rejects.toThrow("bad key");
  });
});
