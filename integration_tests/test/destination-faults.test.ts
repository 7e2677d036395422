/**
 * End to end under stress: batch splitting by bytes near Convex's limits, refused records (fail
 * and skip), injected 429/5xx/timeouts, and the destination killed with SIGKILL mid-sync.
 */
import { Readable, Writable } from "node:stream";
import { runConnector } from "@convex-airbyte/shared";
import { createDestination } from "destination-convex";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConvexEmulator } from "../src/index.js";
import { configuredStream, type Msg, RecordingProxy, record, rows, runInProcess, startBin, streamState, writeArgs } from "../../destination-convex/test/support/e2e.js";

const KEY = "prod:dest-faults|secret-key-value";
let emulator: ConvexEmulator;
let proxy: RecordingProxy;
let url: string;

beforeAll(async () => {
  emulator = new ConvexEmulator({ adminKey: KEY });
  proxy = new RecordingProxy(await emulator.start());
  url = await proxy.start();
});
afterAll(async () => {
  await proxy.stop();
  await emulator.stop();
});
afterEach(() => {
  proxy.requests.length = 0;
  emulator.clearFaults();
});

const config = (extra: Msg = {}) => ({ deployment_url: url, access_key: KEY, ...extra });
const MiB = 1024 * 1024;

describe("limits", () => {
  it("splits by bytes: every request stays under the configured size, and 20+ MiB of data arrives", async () => {
    const big = "x".repeat(900 * 1024);
    const input: string[] = [];
    for (let i = 0; i < 30; i++) {
      input.push(record("blobs", { id: i, big }));
      if (i % 7 === 6) input.push(streamState("blobs", i));
    }
    const r = await runInProcess(writeArgs(config({ batch_max_bytes: 4 * MiB }), [configuredStream("blobs", "append")]), input);
    expect(r.errors).toEqual([]);
    const sizes = proxy.requests.filter((q) => q.path.endsWith("/import_airbyte_records")).map((q) => Buffer.byteLength(q.body));
    expect(sizes.length).toBeGreaterThan(5);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(4 * MiB);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(20 * MiB);
    expect(emulator.readTable("blobs")).toHaveLength(30);
  });

  it("with the largest batch setting, requests stay under the server's 20 MiB limit", async () => {
    const big = "y".repeat(1000 * 1024);
    const input = Array.from({ length: 24 }, (_, i) => record("huge", { id: i, big }));
    const r = await runInProcess(writeArgs(config({ batch_max_bytes: 16 * MiB }), [configuredStream("huge", "append")]), input);
    expect(r.errors).toEqual([]);
    const sizes = proxy.imports().map((b) => b.messages.length);
    expect(sizes.length).toBeGreaterThan(1);
    expect(emulator.readTable("huge")).toHaveLength(24);
  });

  it("accepts a document just under 1 MiB", async () => {
    const r = await runInProcess(writeArgs(config(), [configuredStream("nearly", "append")]), [record("nearly", { id: 1, s: "z".repeat(MiB - 200) })]);
    expect(r.errors).toEqual([]);
    expect(emulator.readTable("nearly")).toHaveLength(1);
  });
});

const refusals: [string, Msg][] = [
  ["a document over 1 MiB", { s: "z".repeat(MiB + 10) }],
  ["nesting over 16", JSON.parse(`${'{"n":'.repeat(17)}1${"}".repeat(17)}`) as Msg],
  ["more than 1024 fields", Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`f${i}`, i]))],
  ["an array over 8192", { a: new Array(8193).fill(1) }],
];

describe("refused records", () => {
  it.each(refusals)("fail mode: %s fails the sync after committing everything before it", async (what, data) => {
    const table = `fail_${what.replace(/\W+/g, "_")}`;
    const input = [record(table, { id: 1 }), record(table, { id: 2 }), streamState(table, 2), record(table, { id: 3 }), record(table, { id: 4, ...data }), record(table, { id: 5 }), streamState(table, 5)];
    const r = await runInProcess(writeArgs(config(), [configuredStream(table, "append")]), input);
    expect(r.code).toBe(1);
    const err = r.errors[0] as Msg;
    expect(String(err.message)).toMatch(new RegExp(`Stream '${table}', input line 5: Convex would refuse`));
    expect(err.failure_type).toBe("config_error");
    expect(r.states).toHaveLength(1);
    expect(rows(emulator.readTable(table))).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
  });

  it("fail mode: a non-finite number (1e999) is refused rather than sent as null", async () => {
    const input = [record("inf", { id: 1 }), '{"type":"RECORD","record":{"stream":"inf","data":{"id":2,"x":1e999},"emitted_at":1}}'];
    const r = await runInProcess(writeArgs(config(), [configuredStream("inf", "append")]), input);
    expect(r.code).toBe(1);
    expect(String(r.errors[0]?.message)).toMatch(/line 2.*"x"/);
    expect(rows(emulator.readTable("inf"))).toEqual([{ id: 1 }]);
  });

  it("skip mode: skips every refused record with a WARN, counts them, and keeps the rest", async () => {
    const input: string[] = [];
    refusals.forEach(([, data], i) => {
      input.push(record("skippy", { id: i * 2 }));
      input.push(record("skippy", { id: i * 2 + 1, ...data }));
    });
    input.push(record("skippy", { id: 100, $odd: "renamed, not refused" }));
    input.push(streamState("skippy", 1));
    const r = await runInProcess(writeArgs(config({ invalid_records: "skip" }), [configuredStream("skippy", "append")]), input);
    expect(r.code).toBe(0);
    expect(r.logs.filter((l) => l.level === "WARN" && /Skipped the record on input line \d+ of stream 'skippy'/.test(l.message))).toHaveLength(refusals.length);
    expect((r.states[0] as { state: Msg }).state.destinationStats).toEqual({ recordCount: refusals.length + 1, rejectedRecordCount: refusals.length });
    expect(r.logs.at(-1)?.message).toMatch(new RegExp(`${refusals.length} skipped`));
    expect(rows(emulator.readTable("skippy"))).toEqual([{ id: 0 }, { id: 2 }, { id: 4 }, { id: 6 }, { id: 100, source_odd: "renamed, not refused" }]);
  });
});

describe("transient failures", () => {
  it.each([
    ["429 with Retry-After", { kind: "status", status: 429, retryAfter: 0, times: 2 }],
    ["500", { kind: "status", status: 500, times: 2 }],
    ["503", { kind: "status", status: 503, times: 3 }],
    ["connection reset", { kind: "reset", times: 1 }],
    ["a timeout", { kind: "hang", times: 1 }],
  ] as const)("retries imports after %s and ends with the right data", async (_n, fault) => {
    const table = `flaky_${_n.replace(/\W+/g, "_")}`;
    emulator.injectFault({ route: "import_airbyte_records", ...fault });
    const dedup = configuredStream(table, "append_dedup", { primaryKey: [["id"]] });
    const input: string[] = [];
    for (let i = 0; i < 40; i++) {
      input.push(record(table, { id: i % 25, v: i }));
      if (i % 10 === 9) input.push(streamState(table, i));
    }
    const r = await runInProcess(writeArgs(config({ batch_max_records: 7, request_timeout_seconds: 1 }), [dedup]), input);
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.states).toHaveLength(4);
    const expected = Array.from({ length: 25 }, (_, id) => ({ id, v: id < 15 ? id + 25 : id }));
    expect(rows(emulator.readTable(table))).toEqual(expected);
    expect(r.logs.some((l) => l.level === "WARN" && /Retrying/.test(l.message))).toBe(true);
    expect(r.logs.at(-1)?.message).toMatch(/[1-9]\d* retr/);
  });

  it("a setup that fails (clear_tables refused) fails the write with its error: nothing imported, no state", async () => {
    emulator.injectFault({ route: "clear_tables", kind: "status", status: 400, code: "BadRequest", message: "refused by the test", every: true });
    const input = [record("setup_fails", { id: 1 }), streamState("setup_fails", 1), record("setup_fails", { id: 2 })];
    const r = await runInProcess(writeArgs(config(), [configuredStream("setup_fails", "overwrite")]), input);
    expect(r.code).not.toBe(0);
    expect(r.states).toEqual([]);
    expect(r.errors.map((e) => e.message).join("\n")).toMatch(/refused by the test/);
    expect(proxy.requests.filter((q) => q.path.endsWith("/import_airbyte_records"))).toEqual([]);
  });

  it("warns that an append batch retried after an ambiguous failure may duplicate rows", async () => {
    emulator.injectFault({ route: "import_airbyte_records", kind: "status", status: 500, times: 1 });
    const r = await runInProcess(writeArgs(config(), [configuredStream("dupwarn", "append")]), [record("dupwarn", { id: 1 })]);
    expect(r.code).toBe(0);
    expect(r.logs.some((l) => l.level === "WARN" && /duplicate/.test(l.message))).toBe(true);
  });

  it("fails after the retry budget with a transient error and no state past the last commit", async () => {
    const input = [record("down", { id: 1 }), streamState("down", 1), record("down", { id: 2 }), streamState("down", 2)];
    emulator.injectFault({ route: "import_airbyte_records", kind: "status", status: 500, nth: 2 });
    emulator.injectFault({ route: "import_airbyte_records", kind: "status", status: 500, every: true, method: "POST" });
    const r = await runInProcess(writeArgs(config({ batch_max_records: 1 }), [configuredStream("down", "append")]), input, { retry: { maxAttempts: 3 } });
    expect(r.code).toBe(1);
    expect(r.errors[0]?.failure_type).toBe("transient_error");
    expect(String(r.errors[0]?.message)).toMatch(/table down failed/);
    expect(r.states.length).toBeLessThanOrEqual(1);
  });
});

describe("SIGKILL at random points", () => {
  for (const mode of ["append", "append_dedup"] as const) {
    it(`${mode}: everything up to the last echoed STATE is in the table`, async () => {
      let killedWithStates = 0;
      for (let round = 0; round < 3; round++) {
        const table = `killed_${mode}_${round}`;
        const input: string[] = [];
        const before = new Map<number, number[]>(); // state cursor → ids before it
        const ids: number[] = [];
        for (let i = 0; i < 3000; i++) {
          input.push(record(table, { id: i, pad: "p".repeat(200) }));
          ids.push(i);
          if (i % 50 === 49) {
            input.push(streamState(table, i));
            before.set(i, [...ids]);
          }
        }
        const stream = configuredStream(table, mode, mode === "append_dedup" ? { primaryKey: [["id"]] } : {});
        emulator.injectFault({ route: "import_airbyte_records", kind: "latency", latencyMs: 5, every: true });
        const run = startBin(writeArgs(config({ batch_max_records: 40, max_concurrent_requests: 3 }), [stream]), input);
        const killAfter = 1 + Math.floor(Math.random() * 30);
        let seen = 0;
        run.onLine((line) => {
          if (line.startsWith('{"type":"STATE"') && ++seen === killAfter) run.child.kill("SIGKILL");
        });
        const r = await run.done;
        emulator.clearFaults();
        const last = r.states.at(-1);
        if (last === undefined) continue;
        if (r.code === null) killedWithStates++;
        const cursor = ((last.state as Msg).stream as Msg).stream_state as { cursor: number };
        const stored = new Set(emulator.readTable(table).map((d) => d.id as number));
        for (const id of before.get(cursor.cursor) ?? []) expect(stored.has(id)).toBe(true);
        // States came out in order, each exactly once.
        const cursors = r.states.map((s) => (((s.state as Msg).stream as Msg).stream_state as { cursor: number }).cursor);
        expect(cursors).toEqual([...before.keys()].slice(0, cursors.length));
      }
      expect(killedWithStates).toBeGreaterThan(0);
    });
  }
});

describe("flow control", () => {
  it("flushes on a timer so a slow trickle still commits and its state goes out", async () => {
    const run = startBin(writeArgs(config({ flush_interval_seconds: 1 }), [configuredStream("trickle", "append")]), [record("trickle", { id: 1 }), streamState("trickle", 1)], { keepOpen: true });
    const stateSeen = new Promise<number>((resolve) => {
      const started = Date.now();
      run.onLine((line) => {
        if (line.startsWith('{"type":"STATE"')) resolve(Date.now() - started);
      });
    });
    const waited = await Promise.race([stateSeen, new Promise<number>((r) => setTimeout(() => r(-1), 8000))]);
    expect(waited).toBeGreaterThan(0);
    expect(emulator.readTable("trickle")).toHaveLength(1);
    run.child.stdin?.end();
    expect((await run.done).code).toBe(0);
  });

  it("stops reading stdin while the in-flight limit is reached (memory bounded by batches in flight)", async () => {
    emulator.injectFault({ route: "import_airbyte_records", kind: "latency", latencyMs: 200, every: true });
    let consumed = 0;
    const total = 5000;
    async function* lines() {
      for (let i = 0; i < total; i++) {
        consumed++;
        yield `${record("slow", { id: i })}\n`;
      }
    }
    const out = new Writable({ write: (_c, _e, cb) => cb() });
    const args = writeArgs(config({ batch_max_records: 10, max_concurrent_requests: 2 }), [configuredStream("slow", "append")]);
    const running = runConnector(createDestination({}), args, { stdout: out, stdin: Readable.from(lines()) });
    await new Promise((r) => setTimeout(r, 1000));
    // ~5 batches of 10 committed per second, 2 in flight, one open batch, plus stream buffering.
    expect(consumed).toBeLessThan(200);
    emulator.clearFaults();
    expect(await running).toBe(0);
    expect(consumed).toBe(total);
    expect(emulator.readTable("slow")).toHaveLength(total);
  });

  it("on SIGTERM with stdin idle, stops promptly, writes no further state and exits non-zero", async () => {
    const run = startBin(writeArgs(config({ flush_interval_seconds: 1 }), [configuredStream("term", "append")]), [record("term", { id: 1 }), streamState("term", 1), record("term", { id: 2 })], { keepOpen: true });
    await new Promise<void>((resolve) => run.onLine((l) => l.startsWith('{"type":"STATE"') && resolve()));
    run.child.kill("SIGTERM");
    const started = Date.now();
    const r = await run.done;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.code).toBe(143);
    expect(r.states).toHaveLength(1);
    expect(String(r.errors[0]?.message)).toMatch(/SIGTERM/);
  });
});
