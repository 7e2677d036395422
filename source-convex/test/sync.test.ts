import type { ConfiguredAirbyteCatalog } from "@convex-airbyte/shared";
import { describe, expect, it } from "vitest";
import { runSync } from "../src/read/sync.js";
import { parseSavedStates } from "../src/state.js";
import { ApiError, FakeConvex } from "./fake-api.js";
import { captureContext, type Msg } from "./helpers.js";

type Mode = "full_refresh" | "incremental";

function catalog(streams: [string, Mode, string?][]): ConfiguredAirbyteCatalog {
  return {
    streams: streams.map(([name, sync_mode, namespace]) => ({
      stream: { name, ...(namespace ? { namespace } : {}), json_schema: {}, supported_sync_modes: ["full_refresh", "incremental"] },
      sync_mode,
      destination_sync_mode: "append_dedup",
    })),
  };
}

async function read(api: FakeConvex, cat: ConfiguredAirbyteCatalog, state?: unknown, signal?: AbortSignal) {
  const { ctx, messages } = captureContext(signal);
  let error: unknown;
  try {
    await runSync(api, cat, parseSavedStates(state), ctx, { progressIntervalMs: 0 });
  } catch (e) {
    error = e;
  }
  return { messages: messages(), error };
}

const key = (stream: string, ns?: string) => `${ns ?? ""}/${stream}`;

/** The destination's view: records applied by `_id`, deletes remove. */
function applyRecords(view: Map<string, Map<string, Record<string, unknown>>>, msgs: Msg[]): void {
  for (const m of msgs) {
    if (m.type !== "RECORD") continue;
    const r = m.record as { stream: string; namespace?: string; data: Record<string, unknown> };
    const k = key(r.stream, r.namespace);
    if (!view.has(k)) view.set(k, new Map());
    const t = view.get(k) as Map<string, Record<string, unknown>>;
    if (r.data._deleted === true) t.delete(String(r.data._id));
    else t.set(String(r.data._id), r.data);
  }
}

/** The last state per stream, as the platform would pass it back (STREAM array). */
function lastStates(msgs: Msg[], prior: Map<string, unknown> = new Map()): Map<string, unknown> {
  const out = new Map(prior);
  for (const m of msgs) if (m.type === "STATE") out.set(JSON.stringify((m.state as { stream: { stream_descriptor: unknown } }).stream.stream_descriptor), m.state);
  return out;
}

function expectViewEqualsSource(view: Map<string, Map<string, Record<string, unknown>>>, api: FakeConvex, tables: [string, string?][]): void {
  for (const [t, ns] of tables) {
    const src = api.current(ns ?? "", t);
    const dst = view.get(key(t, ns)) ?? new Map();
    expect([...dst.keys()].sort()).toEqual([...src.keys()].sort());
    for (const [id, doc] of src) {
      const got = dst.get(id) as Record<string, unknown>;
      for (const [f, v] of Object.entries(doc)) expect(got[f]).toEqual(v);
    }
  }
}

function seed(api: FakeConvex, table: string, n: number, ns = ""): string[] {
  return Array.from({ length: n }, (_, i) => api.insert(table, { n: i, text: `row ${i} ✓` }, ns));
}

function statuses(msgs: Msg[], stream: string): string[] {
  return msgs
    .filter((m) => m.type === "TRACE" && (m.trace as { type: string }).type === "STREAM_STATUS")
    .map((m) => (m.trace as { stream_status: { stream_descriptor: { name: string }; status: string } }).stream_status)
    .filter((s) => s.stream_descriptor.name === stream)
    .map((s) => s.status);
}

describe("full refresh", () => {
  it("reads every page (Python stopped after one page before 0.4.0) with a state per page and a final state", async () => {
    const api = new FakeConvex();
    seed(api, "users", 10);
    const { messages, error } = await read(api, catalog([["users", "full_refresh"]]));
    expect(error).toBeUndefined();
    const view = new Map();
    applyRecords(view, messages);
    expectViewEqualsSource(view, api, [["users"]]);
    const states = messages.filter((m) => m.type === "STATE");
    expect(states.length).toBe(Math.ceil(10 / api.snapshotPageSize));
    const last = states[states.length - 1]?.state as { stream: { stream_state: Record<string, unknown> } };
    expect(last.stream.stream_state).toMatchObject({ snapshot_cursor: null, snapshot_has_more: false });
    expect(typeof last.stream.stream_state.delta_cursor).toBe("bigint");
    expect(statuses(messages, "users")).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
    expect(api.calls.some((c) => c.route === "document_deltas")).toBe(false);
  });

  it("counts records since the stream's previous state in sourceStats.recordCount", async () => {
    const api = new FakeConvex();
    seed(api, "a", 7);
    seed(api, "b", 5);
    const { messages } = await read(api, catalog([["a", "full_refresh"], ["b", "incremental"]]));
    for (const stream of ["a", "b"]) {
      let since = 0;
      for (const m of messages) {
        if (m.type === "RECORD" && (m.record as { stream: string }).stream === stream) since++;
        if (m.type === "STATE") {
          const s = m.state as { stream: { stream_descriptor: { name: string } }; sourceStats: { recordCount: number } };
          if (s.stream.stream_descriptor.name !== stream) continue;
          expect(s.sourceStats.recordCount).toBe(since);
          since = 0;
        }
      }
      expect(since).toBe(0);
    }
  });

  it("never emits records of another table under a stream when the server ignores tableName (#302)", async () => {
    const api = new FakeConvex();
    api.ignoreTableName = true;
    seed(api, "a", 4);
    seed(api, "b", 4);
    const first = await read(api, catalog([["a", "incremental"]]));
    api.insert("b", { late: true });
    api.insert("a", { late: true });
    const second = await read(api, catalog([["a", "incremental"]]), [...lastStates(first.messages).values()]);
    const tables = (msgs: Msg[]) => msgs.filter((m) => m.type === "RECORD").map((m) => (m.record as { data: { _table: string } }).data._table);
    expect(tables(first.messages)).toEqual(["a", "a", "a", "a"]);
    expect(tables(second.messages)).toEqual(["a"]);
  });
});

describe("incremental", () => {
  it("snapshot then deltas; writes, updates and deletes between syncs end up in the destination view", async () => {
    const api = new FakeConvex();
    const users = seed(api, "users", 8);
    const posts = seed(api, "posts", 5);
    const cat = catalog([["users", "incremental"], ["posts", "incremental"]]);
    const first = await read(api, cat);
    expect(first.error).toBeUndefined();
    const view = new Map();
    applyRecords(view, first.messages);
    api.update("users", users[0] as string, { text: "changed" });
    api.remove("users", users[1] as string);
    api.remove("posts", posts[4] as string);
    api.insert("posts", { text: "new" });
    const second = await read(api, cat, [...lastStates(first.messages).values()]);
    expect(second.error).toBeUndefined();
    applyRecords(view, second.messages);
    expectViewEqualsSource(view, api, [["users"], ["posts"]]);
    const deletes = second.messages.filter((m) => m.type === "RECORD" && (m.record as { data: { _deleted: boolean } }).data._deleted);
    expect(deletes.length).toBe(2);
    for (const d of deletes) {
      const data = (d.record as { data: Record<string, unknown> }).data;
      expect(data._ab_cdc_deleted_at).toBe(data._ab_cdc_updated_at);
    }
    // The second sync reads no snapshot and walks the change log once for both streams.
    const calls = api.calls.slice(api.calls.findIndex((c) => c.route === "document_deltas"));
    expect(second.messages.filter((m) => m.type === "RECORD").length).toBe(4);
    expect(calls.every((c) => (c.args as { tableName?: string }).tableName === undefined)).toBe(true);
  });

  it("reads every snapshot at one timestamp even while writes happen", async () => {
    const api = new FakeConvex();
    seed(api, "a", 7);
    seed(api, "b", 7);
    seed(api, "c", 2);
    const orig = api.listSnapshot.bind(api);
    api.listSnapshot = async (args) => {
      api.insert("a", { during: true });
      return orig(args);
    };
    const cat = catalog([["a", "incremental"], ["b", "full_refresh"], ["c", "incremental"]]);
    const { messages, error } = await read(api, cat);
    expect(error).toBeUndefined();
    const snaps = api.calls.filter((c) => c.route === "list_snapshot").map((c) => (c.args as { snapshot?: bigint }).snapshot);
    expect(snaps[0]).toBeUndefined();
    expect(new Set(snaps.slice(1)).size).toBe(1);
    // Writes during the snapshot arrive through the change log.
    const view = new Map();
    applyRecords(view, messages);
    api.listSnapshot = orig;
    expectViewEqualsSource(view, api, [["a"], ["c"]]);
  });

  it("skips changes at or before the cursor of a stream that is ahead of the walk", async () => {
    const api = new FakeConvex();
    const ids = seed(api, "a", 3);
    seed(api, "b", 3);
    const first = await read(api, catalog([["a", "incremental"]]));
    api.update("a", ids[0] as string, { v: 1 });
    const second = await read(api, catalog([["a", "incremental"]]), [...lastStates(first.messages).values()]);
    api.update("a", ids[1] as string, { v: 2 });
    api.insert("b", { v: 3 });
    // b starts from scratch (snapshot), a from its cursor; one walk serves both.
    const third = await read(api, catalog([["a", "incremental"], ["b", "incremental"]]), [...lastStates([...first.messages, ...second.messages]).values()]);
    const aRecs = third.messages.filter((m) => m.type === "RECORD" && (m.record as { stream: string }).stream === "a");
    expect(aRecs.map((m) => (m.record as { data: { v: number } }).data.v)).toEqual([2]);
    const view = new Map();
    applyRecords(view, [...first.messages, ...second.messages, ...third.messages]);
    expectViewEqualsSource(view, api, [["a"], ["b"]]);
  });

  it("keeps int64 cursors above 2^60 exact in records and state", async () => {
    const api = new FakeConvex(2n ** 60n + 123456789n);
    seed(api, "t", 4);
    const { messages } = await read(api, catalog([["t", "incremental"]]));
    const tsValues = messages.filter((m) => m.type === "RECORD").map((m) => (m.record as { data: { _ts: bigint; _ab_cdc_lsn: bigint } }).data);
    for (const d of tsValues) {
      expect(typeof d._ts).toBe("bigint");
      expect(d._ab_cdc_lsn).toBe(d._ts);
    }
    const last = [...lastStates(messages).values()][0] as { stream: { stream_state: { delta_cursor: bigint } } };
    expect(last.stream.stream_state.delta_cursor).toBe(api.now());
  });

  it("routes component tables by _component and keeps root tables apart", async () => {
    const api = new FakeConvex();
    seed(api, "t", 3);
    seed(api, "t", 4, "comp");
    const cat = catalog([["t", "incremental"], ["t", "incremental", "comp"]]);
    const first = await read(api, cat);
    api.insert("t", { x: 1 }, "comp");
    const second = await read(api, cat, [...lastStates(first.messages).values()]);
    const view = new Map();
    applyRecords(view, [...first.messages, ...second.messages]);
    expectViewEqualsSource(view, api, [["t"], ["t", "comp"]]);
    const snapArgs = api.calls.filter((c) => c.route === "list_snapshot").map((c) => c.args as { component?: string });
    expect(snapArgs.some((a) => a.component === "comp")).toBe(true);
  });
});

describe("resuming Python-era state", () => {
  it("resumes the legacy object form (with delta_has_more) and the STREAM array form", async () => {
    const api = new FakeConvex();
    seed(api, "posts", 3);
    const base = api.now();
    api.insert("posts", { after: 1 });
    for (const state of [
      { posts: { snapshot_cursor: "hi", snapshot_has_more: false, delta_cursor: base, delta_has_more: true } },
      [{ type: "STREAM", stream: { stream_descriptor: { name: "posts" }, stream_state: { snapshot_cursor: null, snapshot_has_more: false, delta_cursor: base } } }],
    ]) {
      const { messages, error } = await read(api, catalog([["posts", "incremental"]]), state);
      expect(error).toBeUndefined();
      const recs = messages.filter((m) => m.type === "RECORD");
      expect(recs.map((m) => (m.record as { data: { after?: number } }).data.after)).toEqual([1]);
      expect(api.calls.filter((c) => c.route === "list_snapshot")).toEqual([]);
    }
  });

  it("resumes an interrupted snapshot at its own timestamp", async () => {
    const api = new FakeConvex();
    seed(api, "t", 9);
    const killed = await read(api, catalog([["t", "incremental"]]));
    const firstState = killed.messages.find((m) => m.type === "STATE") as Msg;
    const ss = (firstState.state as { stream: { stream_state: { delta_cursor: bigint } } }).stream.stream_state;
    api.insert("t", { later: true });
    api.calls = [];
    const { messages } = await read(api, catalog([["t", "incremental"]]), [firstState.state]);
    const snaps = api.calls.filter((c) => c.route === "list_snapshot").map((c) => (c.args as { snapshot?: bigint }).snapshot);
    expect(snaps.every((s) => s === ss.delta_cursor)).toBe(true);
    const view = new Map();
    applyRecords(view, [...killed.messages.slice(0, killed.messages.indexOf(firstState)), ...messages]);
    expectViewEqualsSource(view, api, [["t"]]);
  });

  it("restarts an expired interrupted snapshot with a WARN (SnapshotTooOld)", async () => {
    const api = new FakeConvex();
    seed(api, "t", 5);
    const state = { t: { snapshot_cursor: "/t|t_000001", snapshot_has_more: true, delta_cursor: api.now() - 100n } };
    api.minSnapshot = api.now();
    const { messages, error } = await read(api, catalog([["t", "incremental"]]), state);
    expect(error).toBeUndefined();
    expect(messages.some((m) => m.type === "LOG" && /Restarting this stream's snapshot/.test((m.log as { message: string }).message))).toBe(true);
    const view = new Map();
    applyRecords(view, messages);
    expectViewEqualsSource(view, api, [["t"]]);
  });

  it("fails an expired delta cursor with a config_error naming the stream, and still syncs the others", async () => {
    const api = new FakeConvex();
    seed(api, "old", 2);
    seed(api, "fresh", 2);
    api.minDeltaCursor = api.now() - 10n;
    const state = { old: { snapshot_cursor: null, snapshot_has_more: false, delta_cursor: 5 } };
    api.insert("fresh", { x: 1 });
    const { messages, error } = await read(api, catalog([["old", "incremental"], ["fresh", "incremental"]]), state);
    expect(error).toMatchObject({ failureType: "config_error", stream: { name: "old" } });
    expect((error as Error).message).toMatch(/'old'.*refresh/is);
    expect(statuses(messages, "old")).toEqual(["STARTED", "INCOMPLETE"]);
    expect(statuses(messages, "fresh").at(-1)).toBe("COMPLETE");
  });

  it("never restarts silently on other errors", async () => {
    const api = new FakeConvex();
    seed(api, "t", 5);
    api.failNext.set("list_snapshot", new ApiError("InvalidListSnapshotCursor"));
    const { messages, error } = await read(api, catalog([["t", "incremental"]]), { t: { snapshot_cursor: "junk", snapshot_has_more: true, delta_cursor: api.now() } });
    expect(error).toBeDefined();
    expect(messages.filter((m) => m.type === "RECORD")).toEqual([]);
    expect(statuses(messages, "t")).toEqual(["STARTED", "INCOMPLETE"]);
  });
});

describe("kill and resume", () => {
  it("loses nothing when cut at any message and resumed from the last STATE per stream", async () => {
    const api = new FakeConvex();
    const a = seed(api, "a", 10);
    seed(api, "b", 7);
    const cat = catalog([["a", "incremental"], ["b", "incremental"]]);
    const full = await read(api, cat);
    for (let cut = 0; cut <= full.messages.length; cut++) {
      const before = full.messages.slice(0, cut);
      const view = new Map();
      applyRecords(view, before);
      const resumed = await read(api, cat, [...lastStates(before).values()]);
      expect(resumed.error).toBeUndefined();
      applyRecords(view, resumed.messages);
      expectViewEqualsSource(view, api, [["a"], ["b"]]);
    }
    api.remove("a", a[3] as string);
    api.update("a", a[4] as string, { z: 1 });
    const base = lastStates(full.messages);
    const delta = await read(api, cat, [...base.values()]);
    for (let cut = 0; cut <= delta.messages.length; cut++) {
      const view = new Map();
      applyRecords(view, full.messages);
      const before = delta.messages.slice(0, cut);
      applyRecords(view, before);
      const resumed = await read(api, cat, [...lastStates(before, base).values()]);
      applyRecords(view, resumed.messages);
      expectViewEqualsSource(view, api, [["a"], ["b"]]);
    }
  });

  it("stops on SIGTERM after a whole page and its state", async () => {
    const api = new FakeConvex();
    seed(api, "t", 30);
    const ctrl = new AbortController();
    const orig = api.listSnapshot.bind(api);
    let n = 0;
    api.listSnapshot = async (args) => {
      if (++n === 3) ctrl.abort("SIGTERM");
      return orig(args);
    };
    const { messages } = await read(api, catalog([["t", "incremental"]]), undefined, ctrl.signal);
    const lastMsg = messages.filter((m) => m.type === "RECORD" || m.type === "STATE").at(-1);
    expect(lastMsg?.type).toBe("STATE");
    expect(messages.filter((m) => m.type === "RECORD").length).toBeLessThan(30);
    expect(statuses(messages, "t").at(-1)).toBe("INCOMPLETE");
  });
});
