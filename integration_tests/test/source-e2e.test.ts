import { afterEach, describe, expect, it } from "vitest";
import { configuredCatalog, DestinationView, type Msg, ofType, runBin, StateStore, traces } from "../../source-convex/test/e2e-support.js";
import { ConvexEmulator, type EmulatorOptions, encodeValue } from "../src/index.js";

const KEY = "prod:happy-otter-123|0123abcdef";
let emu: ConvexEmulator | undefined;

async function start(opts: EmulatorOptions = {}): Promise<ConvexEmulator> {
  emu = new ConvexEmulator({ adminKey: KEY, ...opts, knobs: { snapshotPageSize: 5, deltasPageSize: 7, ...opts.knobs } });
  await emu.start();
  return emu;
}
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const cfg = (e: ConvexEmulator, extra: Record<string, unknown> = {}) => ({ deployment_url: e.url, access_key: KEY, ...extra });

function seed(e: ConvexEmulator, table: string, n: number, component?: string): string[] {
  return e.insert(
    table,
    Array.from({ length: n }, (_, i) => ({ n: i, s: `row ${i} — ünïcødé 🚀`, nested: { list: [i, "x", null], deep: { ok: true } } })),
    component ? { component } : {},
  );
}

/** Source documents as clean JSON (what the export API sends), compared field by field. */
function expectViewMatches(view: DestinationView, e: ConvexEmulator, table: string, component?: string): void {
  const src = e.readTable(table, component ?? "");
  const dst = view.table(table, component);
  expect([...dst.keys()].sort()).toEqual(src.map((d) => String(d._id)).sort());
  for (const doc of src) {
    const clean = JSON.parse(encodeValue(doc, "json")) as Record<string, unknown>;
    const got = JSON.parse(JSON.stringify(dst.get(String(doc._id)), (_k, v) => (typeof v === "bigint" ? String(v) : v))) as Record<string, unknown>;
    for (const [k, v] of Object.entries(clean)) expect(got[k], `${table}.${k}`).toEqual(v);
  }
}

function expectNoKey(lines: string[], stderr = ""): void {
  const secret = KEY.split("|")[1] as string;
  for (const l of lines) expect(l).not.toContain(secret);
  expect(stderr).not.toContain(secret);
}

describe("check", () => {
  it("succeeds with the deployment's key, also with a trailing slash (Python built //api/…)", async () => {
    const e = await start();
    for (const url of [e.url, `${e.url}/`]) {
      const r = await runBin("check", { config: { deployment_url: url, access_key: KEY } });
      expect(r.code).toBe(0);
      expect(ofType(r.messages, "CONNECTION_STATUS")[0]?.connectionStatus).toEqual({ status: "SUCCEEDED" });
      expectNoKey(r.lines, r.stderr);
    }
  });

  it("fails with a message naming the cause and the fix", async () => {
    const e = await start();
    const cases: [Record<string, unknown>, RegExp, (() => void)?][] = [
      [{ access_key: "prod:happy-otter-123|wrongwrong" }, /access key was not accepted/i],
      [{ access_key: "prod:other-deploy-9|abc" }, /another deployment|deploy key of this deployment/i],
      [{ deployment_url: "not a url" }, /deployment_url/],
      [{ deployment_url: "http://127.0.0.1:1" }, /127\.0\.0\.1:1|reach|connect/i],
      [{}, /plan|Streaming export/i, () => e.setStreamingExportEnabled(false)],
    ];
    for (const [extra, re, before] of cases) {
      before?.();
      const r = await runBin("check", { config: cfg(e, extra) });
      expect(r.code).toBe(0);
      const status = ofType(r.messages, "CONNECTION_STATUS")[0]?.connectionStatus as { status: string; message: string };
      expect(status.status).toBe("FAILED");
      expect(status.message).toMatch(re);
      expectNoKey(r.lines, r.stderr);
    }
  });
});

describe("discover", () => {
  it("lists every table, components as namespaces, with the Python-compatible stream shape", async () => {
    const e = await start();
    seed(e, "users", 2);
    seed(e, "posts", 1);
    seed(e, "items", 2, "shop");
    const r = await runBin("discover", { config: cfg(e) });
    expect(r.code).toBe(0);
    const streams = ((ofType(r.messages, "CATALOG")[0]?.catalog ?? { streams: [] }) as { streams: Record<string, unknown>[] }).streams;
    expect(streams.map((s) => `${s.namespace ?? ""}/${s.name}`).sort()).toEqual(["/posts", "/users", "shop/items"]);
    for (const s of streams) {
      expect(s).toMatchObject({ supported_sync_modes: ["full_refresh", "incremental"], source_defined_cursor: true, default_cursor_field: ["_ts"], source_defined_primary_key: [["_id"]], is_resumable: true });
      const schema = s.json_schema as { additionalProperties: boolean; properties: Record<string, unknown> };
      expect(schema.additionalProperties).toBe(true);
      expect(schema.properties._ab_cdc_lsn).toEqual({ type: "number" });
      expect(schema.properties._ab_cdc_deleted_at).toEqual({ anyOf: [{ type: "string" }, { type: "null" }] });
    }
  });

  it("still lists tables Convex cannot describe (Python: KeyError / failed discover), with a WARN", async () => {
    const e = await start();
    seed(e, "ok", 1);
    e.insert("weird", [{ "first name": "Ada" }, { plain: 1 }]);
    const r = await runBin("discover", { config: cfg(e) });
    expect(r.code).toBe(0);
    const streams = ((ofType(r.messages, "CATALOG")[0]?.catalog ?? { streams: [] }) as { streams: { name: string }[] }).streams;
    expect(streams.map((s) => s.name).sort()).toEqual(["ok", "weird"]);
    expect(ofType(r.messages, "LOG").some((m) => (m.log as { level: string }).level === "WARN")).toBe(true);
  });
});

describe("read", () => {
  it("full refresh reads all pages of several tables; incremental then applies writes, updates and deletes", async () => {
    const e = await start();
    const users = seed(e, "users", 23);
    seed(e, "posts", 11);
    e.insert("empty", [{ x: 1 }]);
    e.transaction((tx) => tx.delete(e.readTable("empty")[0]?._id as string));
    const cat = configuredCatalog([
      { name: "users", mode: "incremental" },
      { name: "posts", mode: "incremental" },
      { name: "empty", mode: "incremental" },
    ]);
    const view = new DestinationView();
    const states = new StateStore();
    const r1 = await runBin("read", { config: cfg(e), catalog: cat });
    expect(r1.code, r1.stderr).toBe(0);
    view.apply(r1.messages);
    states.apply(r1.messages);
    for (const t of ["users", "posts", "empty"]) expectViewMatches(view, e, t);
    // Requesting pages ahead from each page's tail wastes nothing: each page of each table was
    // asked for once, and each request was answered.
    const snapshotCalls = e.requests.filter((q) => q.path.includes("list_snapshot"));
    expect(snapshotCalls.filter((q) => q.query.tableName === "users")).toHaveLength(Math.ceil(23 / 5));
    expect(new Set(snapshotCalls.map((q) => `${q.query.tableName} ${q.query.cursor}`)).size).toBe(snapshotCalls.length);
    expect(snapshotCalls.every((q) => q.status === 200)).toBe(true);
    // One snapshot timestamp for all tables.
    const snaps = new Set(ofType(r1.messages, "STATE").map((m) => String((m.state as { stream: { stream_state: { delta_cursor: bigint } } }).stream.stream_state.delta_cursor)));
    expect(snaps.size).toBeGreaterThanOrEqual(1);
    e.transaction((tx) => {
      tx.patch(users[0] as string, { s: "changed" });
      tx.delete(users[1] as string);
    });
    e.insert("posts", [{ fresh: 1 }]);
    e.insert("empty", [{ now: "filled" }]);
    e.clearRequests();
    const r2 = await runBin("read", { config: cfg(e), catalog: cat, state: states.value });
    expect(r2.code, r2.stderr).toBe(0);
    view.apply(r2.messages);
    for (const t of ["users", "posts", "empty"]) expectViewMatches(view, e, t);
    const deletes = ofType(r2.messages, "RECORD").filter((m) => (m.record as { data: { _deleted: boolean } }).data._deleted);
    expect(deletes.length).toBe(1);
    // The change log is walked once for the three streams, not once per table.
    const deltaCalls = e.requests.filter((q) => q.path.includes("document_deltas"));
    expect(deltaCalls.length).toBeGreaterThan(0);
    expect(deltaCalls.every((q) => q.query.tableName === undefined && q.query.table_name === undefined)).toBe(true);
    expect(deltaCalls.length).toBeLessThanOrEqual(3);
    expect(e.requests.filter((q) => q.path.includes("list_snapshot"))).toEqual([]);
    for (const s of ["users", "posts", "empty"]) {
      const st = traces(r2.messages, "STREAM_STATUS").map((t) => t.stream_status as { stream_descriptor: { name: string }; status: string }).filter((x) => x.stream_descriptor.name === s);
      expect(st[0]?.status).toBe("STARTED");
      expect(st.at(-1)?.status).toBe("COMPLETE");
    }
    expectNoKey([...r1.lines, ...r2.lines], r1.stderr + r2.stderr);
  });

  it("keeps int64 _ts above 2^60 exact in records and state", async () => {
    const e = await start();
    seed(e, "t", 12);
    const r = await runBin("read", { config: cfg(e), catalog: configuredCatalog([{ name: "t", mode: "incremental" }]) });
    const recLines = r.lines.filter((l) => l.startsWith('{"type":"RECORD"'));
    expect(recLines.length).toBe(12);
    for (const l of recLines) {
      const ts = /"_ts":(\d+)/.exec(l)?.[1] as string;
      expect(BigInt(ts) > 2n ** 60n).toBe(true);
      // Rounded through a double, a value above 2^60 would be a multiple of 256.
      expect(BigInt(ts) % 256n).not.toBe(0n);
      expect(l).toContain(`"_ab_cdc_lsn":${ts}`);
    }
    for (const l of r.lines.filter((x) => x.startsWith('{"type":"STATE"'))) {
      const c = /"delta_cursor":(\d+)/.exec(l)?.[1] as string;
      expect(BigInt(c) % 256n).not.toBe(0n);
    }
  });

  it("passes unions, nested values, bytes, int64 and unicode through, and reads component tables", async () => {
    const e = await start();
    e.insert("mixed", [
      { kind: "a", v: 1.5, big: 2n ** 62n, bytes: new Uint8Array([0, 255, 7]), nested: { a: [{ b: "ç" }] } },
      { kind: "b", v: "text", other: null, emoji: "👩‍💻" },
      { kind: "c", v: Number.POSITIVE_INFINITY, v2: Number.NaN },
    ]);
    seed(e, "items", 6, "shop");
    const cat = configuredCatalog([
      { name: "mixed", mode: "full_refresh" },
      { name: "items", namespace: "shop", mode: "incremental" },
    ]);
    const r = await runBin("read", { config: cfg(e), catalog: cat });
    expect(r.code, r.stderr).toBe(0);
    const view = new DestinationView();
    view.apply(r.messages);
    expectViewMatches(view, e, "mixed");
    expectViewMatches(view, e, "items", "shop");
    const nsRecs = ofType(r.messages, "RECORD").filter((m) => (m.record as { namespace?: string }).namespace === "shop");
    expect(nsRecs.length).toBe(6);
  });

  it("resumes a Python-era state in the legacy and the STREAM form, with missing keys tolerated", async () => {
    const e = await start();
    seed(e, "posts", 4);
    const base = e.latestTimestamp;
    e.insert("posts", [{ after: 1 }]);
    const cat = configuredCatalog([{ name: "posts", mode: "incremental" }]);
    for (const state of [
      { posts: { snapshot_cursor: "hi", snapshot_has_more: false, delta_cursor: base, delta_has_more: true } },
      [{ type: "STREAM", stream: { stream_descriptor: { name: "posts" }, stream_state: { snapshot_cursor: null, snapshot_has_more: false, delta_cursor: base } } }],
      { posts: { snapshot_has_more: false, delta_cursor: base } },
    ]) {
      const r = await runBin("read", { config: cfg(e), catalog: cat, state });
      expect(r.code, r.stderr).toBe(0);
      const recs = ofType(r.messages, "RECORD").map((m) => (m.record as { data: Record<string, unknown> }).data);
      expect(recs.map((d) => d.after)).toEqual([1]);
    }
  });

  it("restarts an expired interrupted snapshot with a WARN; fails an expired delta cursor with a config_error naming the stream", async () => {
    const e = await start({ knobs: { snapshotMaxAgeMs: 60_000, retentionMs: 120_000 } });
    seed(e, "t", 8);
    seed(e, "u", 3);
    const cat = configuredCatalog([{ name: "t", mode: "incremental" }]);
    const first = await runBin("read", { config: cfg(e), catalog: cat });
    const firstState = ofType(first.messages, "STATE")[0] as Msg;
    expect((firstState.state as { stream: { stream_state: { snapshot_has_more: boolean } } }).stream.stream_state.snapshot_has_more).toBe(true);
    e.advanceClock(90_000);
    const r = await runBin("read", { config: cfg(e), catalog: cat, state: [firstState.state] });
    expect(r.code, r.stderr).toBe(0);
    expect(ofType(r.messages, "LOG").some((m) => /Restarting this stream's snapshot/.test((m.log as { message: string }).message))).toBe(true);
    const view = new DestinationView();
    view.apply(r.messages);
    expectViewMatches(view, e, "t");

    const done = new StateStore();
    done.apply(first.messages);
    e.advanceClock(10 * 60_000);
    e.insert("t", [{ late: true }]);
    const both = configuredCatalog([{ name: "t", mode: "incremental" }, { name: "u", mode: "incremental" }]);
    const expired = await runBin("read", { config: cfg(e), catalog: both, state: done.value });
    expect(expired.code).not.toBe(0);
    const err = traces(expired.messages, "ERROR").at(-1)?.error as { failure_type: string; message: string; stream_descriptor?: { name: string } };
    expect(err.failure_type).toBe("config_error");
    expect(err.message).toMatch(/'t'.*[Rr]efresh/s);
    expect(err.stream_descriptor?.name).toBe("t");
    // The other stream still synced.
    expect(ofType(expired.messages, "RECORD").filter((m) => (m.record as { stream: string }).stream === "u").length).toBe(3);
  });

  it("stops on SIGTERM with a whole page and its state, exits non-zero, and resumes", async () => {
    const e = await start({ latencyMs: 20 });
    seed(e, "t", 60);
    const cat = configuredCatalog([{ name: "t", mode: "incremental" }]);
    const r = await runBin("read", { config: cfg(e), catalog: cat, termAfterLines: 4 });
    expect(r.code).not.toBe(0);
    const data = r.messages.filter((m) => m.type === "RECORD" || m.type === "STATE");
    expect(data.at(-1)?.type).toBe("STATE");
    const states = new StateStore();
    states.apply(r.messages);
    const view = new DestinationView();
    view.apply(r.messages);
    const r2 = await runBin("read", { config: cfg(e), catalog: cat, state: states.value });
    expect(r2.code).toBe(0);
    view.apply(r2.messages);
    expectViewMatches(view, e, "t");
  });
});
