/**
 * The connector acceptance checks that apply, run locally against the emulator with the compiled
 * executables: spec (valid, backward compatible with the Python spec), check, discovery, basic read
 * (records conform to the discovered schemas and match what was seeded), full refresh twice,
 * incremental from the final state, and for the destination every sync mode with every STATE
 * echoed. Every stdout line of every run is validated against the protocol schema.
 */
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configuredStream, type RunResult as DestinationRun, record, runBin as runDestination, streamState, writeArgs } from "../../destination-convex/test/support/e2e.js";
import { destinationSpec } from "../../destination-convex/src/spec.js";
import { ofType, runBin as runSource, type Msg } from "../../source-convex/test/e2e-support.js";
import { sourceSpec } from "../../source-convex/src/spec.js";
import { ConvexEmulator } from "../src/emulator/emulator.js";
import { seedEmulator } from "../src/generator/seed.js";

const KEY = "prod:acceptance-test|0f1e2d3c4b5a69788796a5b4c3d2e1f0";
let source: ConvexEmulator;
let target: ConvexEmulator;
let config: { deployment_url: string; access_key: string };

beforeAll(async () => {
  source = new ConvexEmulator({ adminKey: KEY, seed: 11, knobs: { snapshotPageSize: 100 } });
  await source.start();
  seedEmulator(source, 600, { seed: 5 });
  // A table that exists but holds nothing (its only document was deleted).
  const [gone] = source.insert("empty_table", [{ x: 1 }]);
  source.transaction((tx) => tx.delete(gone as string));
  target = new ConvexEmulator({ adminKey: KEY, seed: 12 });
  await target.start();
  config = { deployment_url: source.url, access_key: KEY };
});

afterAll(async () => {
  await source?.stop();
  await target?.stop();
});

interface Stream {
  name: string;
  namespace?: string;
  json_schema: Record<string, unknown>;
  supported_sync_modes: string[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
}

async function discover(): Promise<Stream[]> {
  const r = await runSource("discover", { config });
  expect(r.code).toBe(0);
  const catalog = ofType(r.messages, "CATALOG")[0]?.catalog as { streams: Stream[] };
  return catalog.streams;
}

function catalogOf(streams: Stream[], mode: "full_refresh" | "incremental") {
  return {
    streams: streams.map((stream) => ({
      stream,
      sync_mode: mode,
      destination_sync_mode: mode === "incremental" ? "append_dedup" : "overwrite",
      cursor_field: ["_ts"],
      primary_key: [["_id"]],
    })),
  };
}

/** Records by stream label, with the fields that vary between runs (emitted_at) left out. */
function recordsOf(messages: Msg[]): Map<string, Record<string, unknown>[]> {
  const out = new Map<string, Record<string, unknown>[]>();
  for (const m of ofType(messages, "RECORD")) {
    const rec = m.record as { stream: string; namespace?: string; data: Record<string, unknown> };
    const label = rec.namespace ? `${rec.namespace}.${rec.stream}` : rec.stream;
    if (!out.has(label)) out.set(label, []);
    out.get(label)?.push(rec.data);
  }
  return out;
}

describe("spec", () => {
  it("is valid draft-07 and backward compatible with the Python connectors' specs", () => {
    const ajv = new Ajv({ strict: false });
    // The connectors skip this check at run time (shared/src/runtime/config.ts): it is made here.
    for (const spec of [sourceSpec(), destinationSpec()]) expect(ajv.validateSchema(spec.connectionSpecification), JSON.stringify(ajv.errors)).toBe(true);
    const src = sourceSpec().connectionSpecification as { required: string[]; additionalProperties: boolean; properties: Record<string, Record<string, unknown>> };
    // The Python source: deployment_url and access_key (secret), both required, extra keys allowed.
    expect(src.required).toEqual(["deployment_url", "access_key"]);
    expect(src.additionalProperties).toBe(true);
    expect(src.properties.deployment_url?.type).toBe("string");
    expect(src.properties.access_key).toMatchObject({ type: "string", airbyte_secret: true });
    const dst = destinationSpec();
    const dcs = dst.connectionSpecification as { required: string[]; additionalProperties: boolean; properties: Record<string, Record<string, unknown>> };
    expect(dcs.required).toEqual(["deployment_url", "access_key"]);
    expect(dcs.additionalProperties).toBe(false);
    expect(dcs.properties.access_key?.airbyte_secret).toBeTruthy();
    // New fields are optional, so every config valid for the Python destination stays valid.
    const validate = ajv.compile(dst.connectionSpecification);
    expect(validate({ deployment_url: "https://murky-swan-635.convex.cloud", access_key: "k" })).toBe(true);
    expect(dst.supported_destination_sync_modes).toEqual(expect.arrayContaining(["overwrite", "append", "append_dedup"]));
  });
});

describe("check", () => {
  it("succeeds with the key and reports FAILED (exit 0) with a wrong one", async () => {
    const ok = await runSource("check", { config });
    expect(ok.code).toBe(0);
    expect(ofType(ok.messages, "CONNECTION_STATUS")).toEqual([{ type: "CONNECTION_STATUS", connectionStatus: { status: "SUCCEEDED" } }]);
    const bad = await runSource("check", { config: { ...config, access_key: "prod:acceptance-test|bad" } });
    expect(bad.code).toBe(0);
    const statuses = ofType(bad.messages, "CONNECTION_STATUS");
    expect(statuses).toHaveLength(1);
    expect(statuses[0]?.connectionStatus).toMatchObject({ status: "FAILED" });
  });
});

describe("discovery and reads", () => {
  let streams: Stream[];
  let first: Awaited<ReturnType<typeof runSource>>;

  beforeAll(async () => {
    streams = await discover();
    first = await runSource("read", { config, catalog: catalogOf(streams, "full_refresh") });
  });

  it("discovers every table with valid schemas that hold the primary key and the cursor", () => {
    const labels = streams.map((s) => (s.namespace ? `${s.namespace}.${s.name}` : s.name)).sort();
    expect(labels).toEqual(["analytics.events", "empty_table", "messages", "users"]);
    const ajv = new Ajv({ strict: false });
    for (const s of streams) {
      expect(() => ajv.compile(s.json_schema)).not.toThrow();
      const props = s.json_schema.properties as Record<string, unknown>;
      expect(s.source_defined_primary_key).toEqual([["_id"]]);
      expect(s.default_cursor_field).toEqual(["_ts"]);
      expect(s.source_defined_cursor).toBe(true);
      for (const path of [...(s.source_defined_primary_key ?? []), s.default_cursor_field ?? []]) expect(props).toHaveProperty(path[0] as string);
      expect(s.supported_sync_modes).toEqual(expect.arrayContaining(["full_refresh", "incremental"]));
    }
  });

  it("basic read: records conform to the discovered schemas and match the seeded documents", () => {
    expect(first.code).toBe(0);
    const ajv = new Ajv({ strict: false, allowUnionTypes: true });
    const byLabel = recordsOf(first.messages);
    for (const s of streams) {
      const label = s.namespace ? `${s.namespace}.${s.name}` : s.name;
      const validate = ajv.compile(s.json_schema);
      const records = byLabel.get(label) ?? [];
      for (const data of records) {
        // bigint cursors are JSON integers on the wire; the schema sees them as numbers.
        const plain = JSON.parse(JSON.stringify(data, (_k, v) => (typeof v === "bigint" ? Number(v) : v)));
        expect(validate(plain), `${label}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      }
      const seeded = source.readTable(s.name, s.namespace ?? "").map((d) => d._id as string).sort();
      expect(records.map((d) => d._id as string).sort(), label).toEqual(seeded);
    }
  });

  it("full refresh twice gives the same records", async () => {
    const second = await runSource("read", { config, catalog: catalogOf(streams, "full_refresh") });
    expect(second.code).toBe(0);
    const norm = (m: Map<string, Record<string, unknown>[]>) =>
      [...m.entries()].map(([k, v]) => [k, v.map((d) => JSON.stringify(d, (_k, x) => (typeof x === "bigint" ? x.toString() : x))).sort()]).sort();
    expect(norm(recordsOf(second.messages))).toEqual(norm(recordsOf(first.messages)));
  });

  it("incremental from the final state emits no record at or before the cursor", async () => {
    const initial = await runSource("read", { config, catalog: catalogOf(streams, "incremental") });
    expect(initial.code).toBe(0);
    const states = ofType(initial.messages, "STATE").map((m) => m.state as Msg);
    const latest = new Map<string, Msg>();
    for (const st of states) latest.set(JSON.stringify((st.stream as Msg).stream_descriptor), st);
    const cursors = new Map([...latest.values()].map((st) => [JSON.stringify((st.stream as Msg).stream_descriptor), ((st.stream as Msg).stream_state as Msg).delta_cursor as bigint]));
    // One change after the cut, so the next read has exactly one record to emit.
    const [doc] = source.readTable("users");
    source.transaction((tx) => tx.patch(doc?._id as string, { name: "changed after the cut" }));
    const next = await runSource("read", { config, catalog: catalogOf(streams, "incremental"), state: [...latest.values()] });
    expect(next.code).toBe(0);
    const records = ofType(next.messages, "RECORD").map((m) => m.record as { stream: string; namespace?: string; data: { _ts: bigint; _id: string } });
    expect(records.map((r) => r.data._id)).toEqual([doc?._id]);
    for (const r of records) {
      const cursor = cursors.get(JSON.stringify(r.namespace ? { name: r.stream, namespace: r.namespace } : { name: r.stream }));
      expect(cursor).toBeDefined();
      expect(r.data._ts > (cursor as bigint)).toBe(true);
    }
  });
});

describe("destination", () => {
  const modes = ["append", "overwrite", "append_dedup"] as const;

  for (const mode of modes) {
    it(`${mode}: writes the records and echoes every STATE once committed`, async () => {
      const table = `acc_${mode}`;
      const stream = configuredStream(table, mode, mode === "append_dedup" ? { primaryKey: [["id"]] } : {});
      const input = [record(table, { id: 1, v: "a" }), record(table, { id: 2, v: "b" }), streamState(table, 1), record(table, { id: 1, v: "a2" }), streamState(table, 2)];
      const destConfig = { deployment_url: target.url, access_key: KEY };
      const run: DestinationRun = await runDestination(writeArgs(destConfig, [stream]), input);
      expect(run.code).toBe(0);
      // Every input STATE comes back, in order, with destinationStats added.
      expect(run.states).toHaveLength(2);
      expect(run.states.map((s) => (((s.state as Msg).stream as Msg).stream_state as Msg).cursor)).toEqual([1, 2]);
      for (const s of run.states) expect(((s.state as Msg).destinationStats as Msg).recordCount).toBeGreaterThan(0);
      const rows = target.readTable(table).map((d) => `${String(d.id)}:${String(d.v)}`).sort();
      expect(rows).toEqual(mode === "append_dedup" ? ["1:a2", "2:b"] : ["1:a", "1:a2", "2:b"]);
    });
  }
});
