/**
 * Bad input. Each case runs a connector command on one bad config, catalog, state, stdin stream or
 * record, and checks the exit status, the failure_type and that the message names what was wrong
 * and where; or, for inputs the connectors accept on purpose, the accepted behaviour. Data
 * committed before a bad input is never lost.
 */
import { stringifyExact } from "@convex-airbyte/shared";
import { Pipeline } from "./pipeline.js";
import { connectionStatus, logs, type ProcResult, runConnector, traceErrors } from "./proc.js";
import { type CaseContext, type CaseSpec, check } from "./runner.js";
import { verifyTarget } from "./verify.js";
import { World } from "./world.js";

type Expect = { error: string; mentions: RegExp[] } | { accepted: true };

function expectError(r: ProcResult, failureType: string, mentions: RegExp[], what: string): void {
  check(!r.timedOut, `${what}: hung`);
  const errs = traceErrors(r.messages);
  check(r.code !== 0, `${what}: exit status 0, expected a failure (${errs.length} errors)`);
  check(errs.length === 1, `${what}: expected one TRACE ERROR, got ${errs.length}; stderr: ${r.stderr.slice(-300)}`);
  const e = errs[0]!;
  check(e.failure_type === failureType, `${what}: failure_type ${String(e.failure_type)}, expected ${failureType}: ${String(e.message)}`);
  for (const m of mentions) check(m.test(String(e.message)), `${what}: message does not mention ${m}: ${String(e.message)}`);
}

function expectCheckFailed(r: ProcResult, mentions: RegExp[], what: string): void {
  const s = connectionStatus(r.messages);
  check(r.code === 0 && s?.status === "FAILED", `${what}: check should print CONNECTION_STATUS FAILED and exit 0 (exit ${r.code}, status ${s?.status})`);
  for (const m of mentions) check(m.test(s.message ?? ""), `${what}: check message does not mention ${m}: ${s.message}`);
}

// ---------------------------------------------------------------- config

interface ConfigCase {
  id: string;
  side: "source" | "destination";
  config: (w: World) => Record<string, unknown>;
  expect: Expect;
}

const CONFIG_CASES: ConfigCase[] = [];
for (const side of ["source", "destination"] as const) {
  const base = (w: World) => (side === "source" ? w.sourceConfig() : w.destConfig());
  const without = (k: string) => (w: World) => {
    const c = base(w);
    delete c[k];
    return c;
  };
  CONFIG_CASES.push(
    { id: "missing-deployment_url", side, config: without("deployment_url"), expect: { error: "config_error", mentions: [/deployment_url/] } },
    { id: "missing-access_key", side, config: without("access_key"), expect: { error: "config_error", mentions: [/access_key/] } },
    { id: "url-not-a-string", side, config: (w) => ({ ...base(w), deployment_url: 42 }), expect: { error: "config_error", mentions: [/deployment_url/] } },
    { id: "key-not-a-string", side, config: (w) => ({ ...base(w), access_key: true }), expect: { error: "config_error", mentions: [/access_key/] } },
    { id: "url-ftp-scheme", side, config: (w) => ({ ...base(w), deployment_url: w.sourceUrl.replace("http:", "ftp:") }), expect: { error: "config_error", mentions: [/deployment_url/, /ftp/] } },
    { id: "url-file-scheme", side, config: (w) => ({ ...base(w), deployment_url: "file:///etc/passwd" }), expect: { error: "config_error", mentions: [/deployment_url/, /file/] } },
    { id: "url-no-scheme", side, config: (w) => ({ ...base(w), deployment_url: w.sourceUrl.replace("http://", "") }), expect: { error: "config_error", mentions: [/deployment_url/] } },
    { id: "url-trailing-slashes", side, config: (w) => ({ ...base(w), deployment_url: `${side === "source" ? w.sourceUrl : w.destUrl}//` }), expect: { accepted: true } },
    { id: "url-with-path", side, config: (w) => ({ ...base(w), deployment_url: `${side === "source" ? w.sourceUrl : w.destUrl}/some/path` }), expect: { error: "config_error", mentions: [/deployment_url/] } },
    { id: "key-whitespace", side, config: (w) => ({ ...base(w), access_key: `  ${side === "source" ? w.sourceKey : w.destKey}\n` }), expect: { accepted: true } },
    { id: "key-bearer-form", side, config: (w) => ({ ...base(w), access_key: `Bearer ${side === "source" ? w.sourceKey : w.destKey}` }), expect: { error: "config_error", mentions: [/access_key/] } },
    { id: "key-convex-form", side, config: (w) => ({ ...base(w), access_key: `Convex ${side === "source" ? w.sourceKey : w.destKey}` }), expect: { error: "config_error", mentions: [/access_key/] } },
    { id: "key-of-another-deployment", side, config: (w) => ({ ...base(w), access_key: side === "source" ? w.destKey : w.sourceKey }), expect: { error: "config_error", mentions: [/key/i] } },
  );
}

async function configCase(ctx: CaseContext, c: ConfigCase): Promise<void> {
  const world = await new World(ctx, { tables: { users: 12 } }).start();
  const config = c.config(world);
  const cfg = ctx.scratch.file("config.json", config);
  const checkRun = await runConnector(ctx, c.side, ["check", "--config", cfg], { timeoutMs: 60_000 });
  if ("accepted" in c.expect) {
    check(connectionStatus(checkRun.messages)?.status === "SUCCEEDED", `check should succeed: ${JSON.stringify(connectionStatus(checkRun.messages))}`);
    const p = new Pipeline(ctx, world);
    await p.resumeUntilDone(1, c.side === "source" ? { sourceConfig: config } : { destConfig: config });
    verifyTarget(ctx, p);
    if (c.id === "key-whitespace") {
      check(p.attempts.some((a) => a.warnings.some((l) => /whitespace/i.test(l))), `trimming the key's whitespace should be reported as a WARN during the sync`);
      if (!logs(checkRun.messages, "WARN").some((l) => /whitespace/i.test(l))) ctx.note(`${c.side} check does not warn that the key's whitespace was trimmed`);
    }
    return;
  }
  expectCheckFailed(checkRun, c.expect.mentions, "check");
  const args = c.side === "source" ? ["read", "--config", cfg, "--catalog", ctx.scratch.file("cat.json", world.catalog())] : ["write", "--config", cfg, "--catalog", ctx.scratch.file("cat.json", world.catalog())];
  const r = await runConnector(ctx, c.side, args, { timeoutMs: 60_000, stdin: "" });
  expectError(r, c.expect.error, c.expect.mentions, c.side === "source" ? "read" : "write");
}

// ---------------------------------------------------------------- catalog

async function catalogCase(ctx: CaseContext, id: string): Promise<void> {
  const world = await new World(ctx, { tables: { users: 12 } }).start();
  const cat = world.catalog() as { streams: Record<string, unknown>[] };
  const s0 = cat.streams[0] as Record<string, unknown>;
  const read = (catalog: unknown) => runConnector(ctx, "source", ["read", "--config", ctx.scratch.file("c.json", world.sourceConfig()), "--catalog", ctx.scratch.file("k.json", catalog)], { timeoutMs: 60_000 });
  const write = (catalog: unknown, stdin = "") => runConnector(ctx, "destination", ["write", "--config", ctx.scratch.file("d.json", world.destConfig()), "--catalog", ctx.scratch.file("k.json", catalog)], { timeoutMs: 60_000, stdin });
  switch (id) {
    case "unknown-stream": {
      const bad = { streams: [{ ...s0, stream: { ...(s0.stream as object), name: "no_such_table" } }] };
      const r = await read(bad);
      // Accepted alternatives: a config_error naming the stream, or a warning naming it and no records.
      if (r.code === 0) {
        check(logs(r.messages).some((l) => l.includes("no_such_table")) || r.messages.some((m) => m.type === "TRACE"), "an unknown stream must at least be named in a warning or stream status");
        ctx.note("unknown stream: accepted with a warning");
      } else expectError(r, "config_error", [/no_such_table/], "read");
      return;
    }
    case "bad-sync-mode":
      expectError(await read({ streams: [{ ...s0, sync_mode: "sometimes" }] }), "config_error", [/sync_mode/, /users/], "read");
      return;
    case "unsupported-destination-mode":
      expectError(await write({ streams: [{ ...s0, destination_sync_mode: "soft_delete" }] }), "config_error", [/soft_delete/, /users/], "write");
      return;
    case "dedup-without-primary-key": {
      // Accepted (as the Python destination did): appended without deduplication, with a WARN.
      const { primary_key: _pk, ...rest } = s0;
      const stdin = `${[1, 2, 2].map((i) => JSON.stringify({ type: "RECORD", record: { stream: "users", data: { k: i }, emitted_at: 1 } })).join("\n")}\n`;
      const r = await write({ streams: [{ ...rest, stream: { ...(s0.stream as object), source_defined_primary_key: undefined } }] }, stdin);
      check(r.code === 0, `write failed: ${traceErrors(r.messages).map((e) => String(e.message)).join("; ")}`);
      check(logs(r.messages, "WARN").some((l) => /users/.test(l) && /primary key/i.test(l)), "a WARN naming the stream and the missing primary key is expected");
      check(world.dest.readTable("users").length === 3, `expected the 3 records appended, found ${world.dest.readTable("users").length}`);
      return;
    }
    case "missing-cursor": {
      // The source defines its cursor (_ts); a catalog without cursor_field is accepted.
      const { cursor_field: _c, ...rest } = s0;
      const p = new Pipeline(ctx, world);
      await p.resumeUntilDone(1, { catalog: { streams: [rest] } });
      verifyTarget(ctx, p);
      return;
    }
    case "not-a-catalog":
      expectError(await read({ stream: [] }), "config_error", [/catalog/i, /streams/], "read");
      return;
  }
}

// ---------------------------------------------------------------- state

async function stateCase(ctx: CaseContext, id: string): Promise<void> {
  const world = await new World(ctx, { tables: { users: 30, posts: 10 } }).start();
  const readWith = (state: string) =>
    runConnector(ctx, "source", ["read", "--config", ctx.scratch.file("c.json", world.sourceConfig()), "--catalog", ctx.scratch.file("k.json", world.catalog()), "--state", ctx.scratch.file("s.json", state)], { timeoutMs: 60_000 });
  switch (id) {
    case "malformed-json":
      expectError(await readWith('[{"type":"STREAM",'), "config_error", [/state/i], "read");
      return;
    case "wrong-shape":
      expectError(await readWith('[{"type":"STREAM","stream":{"stream_descriptor":{"name":"users"},"stream_state":{"delta_cursor":"soon"}}}]'), "config_error", [/users/, /delta_cursor/], "read");
      return;
    case "legacy-python-form":
    case "stream-no-longer-present": {
      const p = new Pipeline(ctx, world);
      await p.resumeUntilDone(1);
      world.mutate(15);
      const users = p.committed.get(".users")?.stream as { stream_state: Record<string, unknown> } | undefined;
      const posts = p.committed.get(".posts")?.stream as { stream_state: Record<string, unknown> } | undefined;
      check(users && posts, "no committed states to build the legacy state from");
      const legacy = id === "legacy-python-form" ? { users: { ...users.stream_state, delta_has_more: true }, posts: posts.stream_state } : undefined;
      const state = legacy ?? [...p.committed.values(), { type: "STREAM", stream: { stream_descriptor: { name: "dropped_table" }, stream_state: { snapshot_cursor: null, snapshot_has_more: false, delta_cursor: 1 } } }];
      const r = await readWith(stringifyExact(state));
      check(r.code === 0, `read with ${id} state failed: ${traceErrors(r.messages).map((e) => String(e.message)).join("; ")}`);
      // Resumed, not restarted: only the changes come back, not the whole snapshot.
      const records = r.messages.filter((m) => m.type === "RECORD").length;
      const all = world.source.readTable("users").length + world.source.readTable("posts").length;
      check(records < all, `the ${id} state was not resumed: ${records} records re-read (the tables hold ${all})`);
      ctx.note(`${id}: resumed with ${records} change records`);
      return;
    }
    case "cursor-past-retention": {
      const p = new Pipeline(ctx, world);
      await p.resumeUntilDone(1);
      world.mutate(5);
      world.source.advanceClock(15 * 24 * 3600 * 1000);
      world.mutate(5);
      const a = await p.run();
      check(!a.ok, "a cursor past the retention window must fail the sync");
      check(a.sourceErrors.length === 1 && a.sourceErrors[0]?.failure_type === "config_error", `expected one config_error from the source: ${JSON.stringify(a.sourceErrors.map((e) => e.failure_type))}`);
      check(/retention|reset|refresh/i.test(String(a.sourceErrors[0]?.message)), `message should say to reset: ${String(a.sourceErrors[0]?.message)}`);
      check(/users|posts/.test(String(a.sourceErrors[0]?.message)) || a.sourceErrors[0]?.stream_descriptor !== undefined, "the error should name the stream");
      // What was committed before stays in the target.
      const before = world.dest.readTable("users").length;
      check(before > 0, "data committed before the failure was lost");
      return;
    }
  }
}

// ---------------------------------------------------------------- destination stdin and data

function rec(stream: string, data: Record<string, unknown>): string {
  return JSON.stringify({ type: "RECORD", record: { stream, data, emitted_at: 1 } });
}
function state(n: number): string {
  return JSON.stringify({ type: "STATE", state: { type: "STREAM", stream: { stream_descriptor: { name: "items" }, stream_state: { n } } } });
}
function items(from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(rec("items", { k: i, v: `value ${i}` }));
  return out;
}

interface StdinCase {
  id: string;
  /** The bad part, placed after 25 good records and a STATE. */
  bad: () => (string | Buffer)[];
  /** Whether the remaining good records after the bad part are expected to land. */
  expect: { error: string; mentions: RegExp[] } | { accepted: true; check?: (w: World) => void };
  config?: Record<string, unknown>;
  end?: Buffer;
}

const DEEP = (() => {
  let v: unknown = 1;
  for (let i = 0; i < 40; i++) v = { d: v };
  return v;
})();

const STDIN_CASES: StdinCase[] = [
  { id: "malformed-json", bad: () => ['{"type":"RECORD","record":{'], expect: { error: "config_error", mentions: [/line 27/, /JSON/i] } },
  { id: "line-64MiB", bad: () => [rec("items", { k: -1, big: "x".repeat(64 * 1024 * 1024) })], expect: { error: "config_error", mentions: [/line 27/] } },
  { id: "unknown-message-type", bad: () => [JSON.stringify({ type: "SOMETHING_NEW", x: 1 })], expect: { accepted: true } },
  { id: "trace-and-log-lines", bad: () => [JSON.stringify({ type: "LOG", log: { level: "INFO", message: "hi" } }), JSON.stringify({ type: "TRACE", trace: { type: "STREAM_STATUS", emitted_at: 1 } })], expect: { accepted: true } },
  { id: "stream-not-in-catalog", bad: () => [rec("ghosts", { k: 1 })], expect: { error: "config_error", mentions: [/ghosts/, /catalog/i] } },
  { id: "invalid-utf8", bad: () => [Buffer.concat([Buffer.from('{"type":"RECORD","record":{"stream":"items","data":{"k":-2,"v":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"},"emitted_at":1}}')])], expect: { error: "config_error", mentions: [/line 27/, /UTF-8/i] } },
  { id: "ends-mid-line", bad: () => [], end: Buffer.from('{"type":"RECORD","record":{"stream":"items","data":{"k":'), expect: { error: "config_error", mentions: [/line/i] } },
  { id: "over-limit-document", bad: () => [rec("items", { k: -3, big: "y".repeat(1_100_000) })], expect: { error: "config_error", mentions: [/items/, /1 ?MiB|too large|size/i] } },
  { id: "over-limit-document-skip", config: { invalid_records: "skip" }, bad: () => [rec("items", { k: -3, big: "y".repeat(1_100_000) })], expect: { accepted: true } },
  { id: "deep-nesting", bad: () => [rec("items", { k: -4, deep: DEEP })], expect: { error: "config_error", mentions: [/items/, /nest/i] } },
  { id: "too-many-fields", bad: () => [rec("items", { k: -5, ...Object.fromEntries(Array.from({ length: 1100 }, (_, i) => [`f${i}`, i])) })], expect: { error: "config_error", mentions: [/items/, /field/i] } },
  {
    id: "reserved-and-dollar-names",
    bad: () => [rec("items", { k: -6, _secret: 1, $type: "t", "first name": "a" })],
    expect: {
      accepted: true,
      check: (w) => {
        const row = w.dest.readTable("items").find((r) => r.k === -6);
        check(row !== undefined, "the record with reserved names was not stored");
        check(row.source_secret === 1 && row.source_type === "t" && row["first name"] === "a", `renamed fields not as documented: ${JSON.stringify(Object.keys(row))}`);
      },
    },
  },
  { id: "nan-infinity-literals", bad: () => ['{"type":"RECORD","record":{"stream":"items","data":{"k":-7,"x":NaN,"y":Infinity},"emitted_at":1}}'], expect: { error: "config_error", mentions: [/line 27/] } },
  {
    id: "int64-extremes",
    bad: () => ['{"type":"RECORD","record":{"stream":"items","data":{"k":-8,"max":9223372036854775807,"min":-9223372036854775808,"big":123456789012345678901234567890},"emitted_at":1}}'],
    expect: {
      accepted: true,
      check: (w) => {
        const row = w.dest.readTable("items").find((r) => r.k === -8);
        check(row !== undefined, "the int64-extremes record was not stored");
        check(row.max === Number("9223372036854775807") && row.min === Number("-9223372036854775808"), `int64 extremes not stored as the nearest float64: ${String(row.max)} ${String(row.min)}`);
      },
    },
  },
  {
    id: "unicode-names",
    bad: () => [rec("items", { k: -9, héllo: "wörld", 名前: "x", "emoji😀": 1 })],
    expect: {
      accepted: true,
      check: (w) => {
        const row = w.dest.readTable("items").find((r) => r.k === -9);
        check(row !== undefined, "the unicode-named record was not stored");
        check(row.source_hello === "wörld", `unicode field name not renamed as documented: ${JSON.stringify(Object.keys(row))}`);
      },
    },
  },
];

async function stdinCase(ctx: CaseContext, c: StdinCase): Promise<void> {
  const world = await new World(ctx, { tables: {} }).start();
  const catalog = { streams: [{ stream: { name: "items", json_schema: { type: "object" }, supported_sync_modes: ["full_refresh"] }, sync_mode: "full_refresh", destination_sync_mode: "append" }] };
  const parts: Buffer[] = [];
  for (const l of [...items(0, 25), state(1), ...c.bad(), ...items(25, 40), state(2)]) parts.push(Buffer.isBuffer(l) ? l : Buffer.from(l), Buffer.from("\n"));
  if (c.end) parts.push(c.end);
  const r = await runConnector(ctx, "destination", ["write", "--config", ctx.scratch.file("d.json", world.destConfig(c.config ?? {})), "--catalog", ctx.scratch.file("k.json", catalog)], { stdin: Buffer.concat(parts), timeoutMs: 120_000 });
  const rows = world.dest.readTable("items");
  const ks = new Set(rows.map((x) => x.k));
  const firstLost = items(0, 25).length - [...Array(25).keys()].filter((k) => ks.has(k)).length;
  ctx.rowsLost += firstLost;
  check(firstLost === 0, `${firstLost} of the 25 records committed before the bad input were lost`);
  const states = r.messages.filter((m) => m.type === "STATE").length;
  check(states >= 1, "the STATE before the bad input was not echoed");
  if ("accepted" in c.expect) {
    check(r.code === 0, `write failed: ${traceErrors(r.messages).map((e) => `${String(e.failure_type)}: ${String(e.message)}`).join("; ")}`);
    const missing = [...Array(40).keys()].filter((k) => !ks.has(k)).length;
    ctx.rowsLost += missing;
    check(missing === 0, `${missing} good records after the accepted input were lost`);
    c.expect.check?.(world);
    if (c.id.endsWith("-skip")) check(logs(r.messages, "WARN").some((l) => /items/.test(l)), "a skipped record should be reported in a WARN naming the stream");
    return;
  }
  expectError(r, c.expect.error, c.expect.mentions, "write");
}

export function badInputCases(full: boolean): CaseSpec[] {
  const out: CaseSpec[] = [];
  const shortConfig = new Set(["missing-access_key", "url-ftp-scheme", "url-trailing-slashes", "key-whitespace", "key-bearer-form"]);
  for (const c of CONFIG_CASES) {
    out.push({ id: `bad-input/config/${c.side}/${c.id}`, category: "bad-input", short: shortConfig.has(c.id) || full, timeoutMs: 90_000, run: (ctx) => configCase(ctx, c) });
  }
  for (const id of ["unknown-stream", "bad-sync-mode", "unsupported-destination-mode", "dedup-without-primary-key", "missing-cursor", "not-a-catalog"]) {
    out.push({ id: `bad-input/catalog/${id}`, category: "bad-input", short: true, timeoutMs: 90_000, run: (ctx) => catalogCase(ctx, id) });
  }
  for (const id of ["malformed-json", "wrong-shape", "legacy-python-form", "stream-no-longer-present", "cursor-past-retention"]) {
    out.push({ id: `bad-input/state/${id}`, category: "bad-input", short: true, timeoutMs: 90_000, run: (ctx) => stateCase(ctx, id) });
  }
  for (const c of STDIN_CASES) {
    out.push({ id: `bad-input/stdin/${c.id}`, category: "bad-input", short: c.id !== "line-64MiB" || full, timeoutMs: 120_000, run: (ctx) => stdinCase(ctx, c) });
  }
  return out;
}
