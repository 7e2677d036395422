/**
 * End to end: the destination against the Convex emulator (through a recording proxy), for every
 * sync mode with and without namespaces, dedup with updates and deletes, a dedup sync keyed on
 * `_id`, state echo and the shape of every request.
 */
import { parseExact } from "@convex-airbyte/shared";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConvexEmulator } from "../src/index.js";
import { configuredStream, type Msg, RecordingProxy, record, rows, runBin, runInProcess, streamState, writeArgs } from "../../destination-convex/test/support/e2e.js";

const KEY = "prod:dest-test|0123456789abcdef-secret";
let emulator: ConvexEmulator;
let proxy: RecordingProxy;
let url: string;

beforeAll(async () => {
  emulator = new ConvexEmulator({ adminKey: KEY, readOnlyKey: "prod:dest-test|readonly-key" });
  proxy = new RecordingProxy(await emulator.start());
  url = await proxy.start();
});
afterAll(async () => {
  await proxy.stop();
  await emulator.stop();
});
afterEach(() => {
  proxy.requests.length = 0;
});

const config = (extra: Msg = {}) => ({ deployment_url: url, access_key: KEY, ...extra });

function expectNoKey(out: { stdout: string; stderr: string }): void {
  expect(out.stdout).not.toContain("0123456789abcdef-secret");
  expect(out.stderr).not.toContain("0123456789abcdef-secret");
}

function expectImportsWellFormed(): void {
  for (const body of proxy.imports()) {
    expect(body.messages.length).toBeGreaterThan(0);
    const tables = new Set(body.messages.map((m) => m.tableName));
    expect(tables.size).toBe(1);
    expect(Object.keys(body.tables)).toEqual([...tables]);
  }
}

describe.each([
  ["without a namespace", undefined],
  ["with a namespace", "shop"],
])("sync modes %s", (_label, ns) => {
  const table = (s: string) => (ns === undefined ? s : `${ns}_${s}`);

  it("append adds rows to what is there", async () => {
    emulator.insert(table("app"), [{ id: 0, v: "old" }]);
    const input = [record("app", { id: 1, v: "a" }, ns), record("app", { id: 2, v: "b" }, ns), streamState("app", 2, ns)];
    const r = await runInProcess(writeArgs(config(), [configuredStream("app", "append", { namespace: ns })]), input);
    expect(r.code).toBe(0);
    expect(rows(emulator.readTable(table("app")))).toEqual([
      { id: 0, v: "old" },
      { id: 1, v: "a" },
      { id: 2, v: "b" },
    ]);
    expect(r.states).toHaveLength(1);
    expectImportsWellFormed();
    expectNoKey(r);
  });

  it("overwrite clears the namespaced table once, then writes the source's rows", async () => {
    emulator.insert(table("ow"), [{ id: 99, v: "stale" }]);
    const input = [record("ow", { id: 1 }, ns), streamState("ow", 1, ns), record("ow", { id: 2 }, ns), streamState("ow", 2, ns)];
    const r = await runInProcess(writeArgs(config(), [configuredStream("ow", "overwrite", { namespace: ns })]), input);
    expect(r.code).toBe(0);
    expect(rows(emulator.readTable(table("ow")))).toEqual([{ id: 1 }, { id: 2 }]);
    const clears = proxy.requests.filter((q) => q.path.endsWith("/clear_tables"));
    expect(clears.map((q) => JSON.parse(q.body))).toEqual([{ tableNames: [table("ow")] }]);
    // The input is read while the table is cleared, but nothing is imported before.
    const paths = proxy.requests.map((q) => q.path);
    expect(paths.findIndex((q) => q.endsWith("/clear_tables"))).toBeLessThan(paths.findIndex((q) => q.endsWith("/import_airbyte_records")));
    // A retried attempt of the same job clears again and rewrites: the table equals the source.
    const again = await runInProcess(writeArgs(config(), [configuredStream("ow", "overwrite", { namespace: ns })]), input);
    expect(again.code).toBe(0);
    expect(rows(emulator.readTable(table("ow")))).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it("a truncating refresh (append, minimum_generation_id == generation_id) ends with exactly the source's rows", async () => {
    emulator.insert(table("gen"), [{ id: 5, v: "previous generation" }]);
    const stream = configuredStream("gen", "append", { namespace: ns, generation: 4, minimumGeneration: 4 });
    const first = [record("gen", { id: 1 }, ns), record("gen", { id: 2 }, ns), streamState("gen", 1, ns)];
    // The first attempt dies half way (the source failed: no more input), the second is complete.
    await runInProcess(writeArgs(config(), [stream]), first.slice(0, 1));
    const r = await runInProcess(writeArgs(config(), [stream]), first);
    expect(r.code).toBe(0);
    expect(rows(emulator.readTable(table("gen")))).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it("append_dedup upserts by key and applies CDC deletes", async () => {
    const stream = configuredStream("users", "append_dedup", { namespace: ns, primaryKey: [["id"]] });
    const input = [
      record("users", { id: 1, name: "a" }, ns),
      record("users", { id: 2, name: "b" }, ns),
      record("users", { id: 3, name: "c" }, ns),
      streamState("users", 3, ns),
      record("users", { id: 1, name: "a2", _ab_cdc_deleted_at: null, _ab_cdc_lsn: 1234567890123456789n.toString() }, ns),
      record("users", { id: 2, _ab_cdc_deleted_at: "2024-01-01T00:00:00Z" }, ns),
      record("users", { id: 1, name: "a3" }, ns),
      streamState("users", 6, ns),
    ];
    const r = await runInProcess(writeArgs(config({ batch_max_records: 2 }), [stream]), input);
    expect(r.code).toBe(0);
    expect(rows(emulator.readTable(table("users")))).toEqual([
      { id: 1, name: "a3" },
      { id: 3, name: "c" },
    ]);
    expect(emulator.primaryKeyIndex(table("users"))?.fields).toEqual([["id"]]);
    expect(r.states.map((s) => ((s.state as Msg).destinationStats as Msg).recordCount)).toEqual([3, 3]);
    expectImportsWellFormed();
  });
});

describe("dedup deletes of keys the target never had", () => {
  it("insert nothing (Convex would otherwise store the delete as a row)", async () => {
    const stream = configuredStream("ghosts", "append_dedup", { primaryKey: [["_id"]] });
    const input = [
      record("ghosts", { _id: "kept", title: "stays" }),
      // Created and deleted between two syncs: only the delete reaches the destination.
      record("ghosts", { _id: "never-seen", _ab_cdc_deleted_at: "2024-01-01T00:00:00", _deleted: true }),
      record("ghosts", { _id: "kept-too", title: "also stays" }),
      record("ghosts", { _id: "kept-too", _ab_cdc_deleted_at: "2024-01-01T00:00:01", _deleted: true }),
      streamState("ghosts", 4),
    ];
    const r = await runInProcess(writeArgs(config({ batch_max_records: 2 }), [stream]), input);
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(rows(emulator.readTable("ghosts"), "source_id")).toEqual([{ source_id: "kept", title: "stays" }]);
    expect(r.states.map((s) => ((s.state as Msg).destinationStats as Msg).recordCount)).toEqual([4]);
  });
});

describe("dedup keyed on _id (Convex → Convex)", () => {
  it("sends the key in stored names and deduplicates", async () => {
    const stream = configuredStream("docs", "append_dedup", { primaryKey: [["_id"]] });
    const input = [
      record("docs", { _id: "k1", _creationTime: 1, title: "one" }),
      record("docs", { _id: "k2", _creationTime: 2, title: "two" }),
      streamState("docs", 1),
      record("docs", { _id: "k1", _creationTime: 1, title: "one v2" }),
      record("docs", { _id: "k2", _ab_cdc_deleted_at: 1 }),
      streamState("docs", 2),
    ];
    const r = await runInProcess(writeArgs(config(), [stream]), input);
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    const indexCall = proxy.requests.find((q) => q.path.endsWith("/add_primary_key_indexes"));
    expect(JSON.parse(indexCall?.body ?? "{}")).toEqual({ indexes: { docs: [["source_id"]] } });
    for (const body of proxy.imports()) expect(body.tables.docs?.primaryKey).toEqual([["source_id"]]);
    expect(rows(emulator.readTable("docs"), "source_id")).toEqual([{ source_id: "k1", source_creationtime: 1, title: "one v2" }]);
  });
});

describe("state echo", () => {
  it("echoes every state with all its fields intact (id, unknown keys, big integers) plus destinationStats", async () => {
    const s1 =
      '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"ev"},"stream_state":{"cursor":1730000000123456789,"token":"a\\"b"}},"sourceStats":{"recordCount":2.0},"id":41,"x_platform":{"k":[1,2,{"z":null}]}},"extra_top":1}';
    const s2 = '{"type":"STATE","state":{"type":"GLOBAL","global":{"shared_state":{"lsn":18446744073709551615},"stream_states":[{"stream_descriptor":{"name":"ev"},"stream_state":{}}]},"id":42}}';
    const s3 = '{"type":"STATE","state":{"type":"LEGACY","data":{"ev":{"c":9007199254740993}},"id":43}}';
    const input = [record("ev", { id: 1 }), record("ev", { id: 2 }), s1, record("ev", { id: 3 }), s2, s3];
    const r = await runBin(writeArgs(config(), [configuredStream("ev", "append")]), input);
    expect(r.code).toBe(0);
    expect(r.stateLines).toHaveLength(3);
    [s1, s2, s3].forEach((sent, i) => {
      const echoed = parseExact(r.stateLines[i] as string) as { state: Msg };
      const original = parseExact(sent) as { state: Msg };
      const stats = echoed.state.destinationStats;
      delete echoed.state.destinationStats;
      expect(echoed).toEqual(original);
      expect(stats).toEqual({ recordCount: [2, 1, 0][i] });
    });
    expect(r.stateLines[0]).toContain("1730000000123456789");
    expect(r.stateLines[1]).toContain("18446744073709551615");
    expect(r.stateLines[2]).toContain("9007199254740993");
    expectNoKey(r);
  });

  it("sends no import request for states alone, and none empty", async () => {
    const input = [streamState("quiet", 1), streamState("quiet", 2), record("quiet", { id: 1 }), streamState("quiet", 3), streamState("quiet", 4)];
    const r = await runInProcess(writeArgs(config(), [configuredStream("quiet", "append")]), input);
    expect(r.code).toBe(0);
    expect(proxy.imports()).toHaveLength(1);
    expect(r.states).toHaveLength(4);
    expectImportsWellFormed();
  });

  it("ends with a summary LOG per stream", async () => {
    const input = [record("s1", { id: 1 }), record("s2", { id: 1 }), record("s2", { id: 2 }), streamState("s2", 1)];
    const r = await runInProcess(writeArgs(config(), [configuredStream("s1", "append"), configuredStream("s2", "append")]), input);
    const summary = r.logs.at(-1)?.message ?? "";
    expect(summary).toMatch(/s1 → table s1: 1 records committed/);
    expect(summary).toMatch(/s2 → table s2: 2 records committed/);
    expect(summary).toMatch(/retries/);
  });
});

describe("input problems", () => {
  it.each([
    ["invalid JSON", "{not json", /line 3: .*not valid JSON/],
    ["not an object", "[1,2]", /line 3: expected a JSON object/],
    ["no type", '{"record":{}}', /line 3: the message has no "type"/],
    ["unknown stream", record("nope", { a: 1 }, "ns9"), /line 3: a record for stream 'nope' in namespace 'ns9'/],
  ])("fails on %s naming the line, after committing what came before", async (_n, bad, pattern) => {
    const input = [record("inp", { id: 1 }), bad, record("inp", { id: 2 })];
    const r = await runInProcess(writeArgs(config(), [configuredStream("inp", "overwrite")]), [...input.slice(0, 1), streamState("inp", 1), ...input.slice(1)]);
    expect(r.code).toBe(1);
    expect(String(r.errors[0]?.message)).toMatch(pattern);
    expect(r.states).toHaveLength(1);
    expect(rows(emulator.readTable("inp"))).toEqual([{ id: 1 }]);
  });

  it("ignores unknown message types and platform traces", async () => {
    const trace = JSON.stringify({ type: "TRACE", trace: { type: "STREAM_STATUS", emitted_at: 1, stream_status: { stream_descriptor: { name: "ign" }, status: "COMPLETE" } } });
    const input = [record("ign", { id: 1 }), '{"type":"SOMETHING_NEW","x":1}', '{"type":"SOMETHING_NEW"}', trace, streamState("ign", 1)];
    const r = await runInProcess(writeArgs(config(), [configuredStream("ign", "append")]), input);
    expect(r.code).toBe(0);
    expect(r.logs.filter((l) => l.message.includes("SOMETHING_NEW"))).toHaveLength(1);
    expect(r.logs.at(-1)?.message).toMatch(/source complete/);
  });
});

describe("check", () => {
  async function check(cfg: Msg): Promise<Msg> {
    const args = writeArgs(cfg, []);
    const r = await runInProcess(["check", "--config", args[2] as string], []);
    expectNoKey(r);
    return r.messages.find((m) => m.type === "CONNECTION_STATUS")?.connectionStatus as Msg;
  }

  it("succeeds with a full-access key and changes nothing", async () => {
    const before = emulator.tables();
    expect(await check(config())).toEqual({ status: "SUCCEEDED" });
    expect(emulator.tables()).toEqual(before);
  });

  it("warns that whitespace around the key was trimmed, and still succeeds", async () => {
    const args = writeArgs(config({ access_key: ` ${KEY}\n` }), []);
    const r = await runInProcess(["check", "--config", args[2] as string], []);
    expectNoKey(r);
    expect(r.messages.find((m) => m.type === "CONNECTION_STATUS")?.connectionStatus).toEqual({ status: "SUCCEEDED" });
    expect(r.logs.some((l) => l.level === "WARN" && /whitespace/i.test(l.message))).toBe(true);
  });

  it("explains a wrong key, a read-only key and an unreachable URL", async () => {
    const wrong = await check(config({ access_key: "prod:dest-test|not-the-key" }));
    expect(wrong.status).toBe("FAILED");
    expect(String(wrong.message)).toMatch(/key/i);
    const ro = await check(config({ access_key: "prod:dest-test|readonly-key" }));
    expect(ro.status).toBe("FAILED");
    expect(String(ro.message)).toMatch(/read-only|not permitted|write/i);
    const down = await check(config({ deployment_url: "http://127.0.0.1:9" }));
    expect(down.status).toBe("FAILED");
    expect(String(down.message)).toMatch(/reach|connect/i);
  });
});
