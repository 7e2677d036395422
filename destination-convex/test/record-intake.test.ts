import { type ConfiguredAirbyteStream, type InputLine, streamKey } from "@convex-airbyte/shared";
import { describe, expect, it } from "vitest";
import { batchTarget } from "../src/batcher.js";
import { type CheckedRecord, isObject, RecordIntake, type StreamContext } from "../src/record-intake.js";
import { planStreams } from "../src/setup.js";
import { SyncSummary } from "../src/summary.js";
import { corrupt, jsonObject, jsonString, jsonValue, type Rand, seeded } from "../../shared/test/support/tricky-json.js";

function configured(name: string, namespace?: string, primaryKey?: string[][]): ConfiguredAirbyteStream {
  return {
    stream: { name, ...(namespace !== undefined ? { namespace } : {}), json_schema: { type: "object" }, supported_sync_modes: ["full_refresh", "incremental"] },
    sync_mode: "incremental",
    destination_sync_mode: primaryKey !== undefined ? "append_dedup" : "append",
    ...(primaryKey !== undefined ? { primary_key: primaryKey } : {}),
  };
}

/** Streams as the writer sets them up: plain, namespaced, non-ASCII, and dedup with flat and nested keys. */
function intake(): RecordIntake {
  const plan = planStreams(
    {
      streams: [
        configured("s"),
        configured("s", "ns"),
        configured("é\ufeff"),
        configured("dedup", undefined, [["_id"]]),
        configured("pair", undefined, [["a"], ["meta", "region"]]),
      ],
    },
    () => {},
  );
  const summary = new SyncSummary(0);
  const contexts = new Map<string, StreamContext>();
  for (const sp of plan.streams.values()) {
    contexts.set(streamKey(sp.name, sp.namespace), {
      plan: sp,
      target: batchTarget(sp.table, sp.primaryKey, sp.jsonSchemaText),
      counters: summary.stream(sp.table, sp.label),
      checkpoints: { accepted: 0, rejected: 0 },
    });
  }
  return new RecordIntake(contexts);
}

function line(text: string): InputLine {
  const bytes = Buffer.from(text);
  return { text, lineNumber: 7, unterminated: false, bytes };
}

/** The general path alone: what the writer does with a line the fast path does not take. */
function general(i: RecordIntake, text: string): CheckedRecord | "not a record" | "error" {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return "error";
  }
  if (!isObject(msg)) return "error";
  if (msg.type !== "RECORD") return "not a record";
  try {
    return i.parsed(msg, line(text));
  } catch {
    return "error";
  }
}

/** When the fast path takes a line, the general path must give the very same record. */
function agrees(i: RecordIntake, text: string): boolean {
  const fast = i.fast(line(text));
  if (fast === undefined) return false;
  const slow = general(i, text);
  expect(typeof slow, text).toBe("object");
  if (typeof slow !== "object") return true;
  expect(slow.reason, text).toBeUndefined();
  expect(slow.marker, text).toBeUndefined();
  expect(fast.reason).toBeUndefined();
  expect(fast.stream, text).toBe(slow.stream);
  expect(Buffer.from(fast.data as Uint8Array).toString("utf8"), text).toBe(slow.data);
  expect(fast.dataBytes, text).toBe(slow.dataBytes);
  expect(fast.key, text).toBe(slow.key);
  return true;
}

const pick = <T>(rand: Rand, items: readonly T[]): T => items[rand(items.length)] as T;

/** A RECORD line with random member order, spacing, stream, and data; sometimes odd. */
function recordLine(rand: Rand): string {
  const ws = () => pick(rand, ["", "", " ", "\t"]);
  // Mostly plain: escaped member or stream names send the line to the general path.
  const str = (s: string) => (rand(10) === 0 ? jsonString(rand, s) : JSON.stringify(s));
  const stream = pick(rand, [["s"], ["s", "ns"], ["é\ufeff"], ["dedup"], ["pair"], ["unknown"], ["s", "other"]]);
  const dataKinds = [
    () => jsonObject(rand, 0, { maxDepth: 4 }),
    () => `{"_id":${jsonString(rand, `id${rand(50)}`)},"v":${jsonValue(rand)}}`,
    () => `{"_id":${pick(rand, ["1", "1.0", "null", "true", '"\\u0061"', '{"x":1}', "[1]", "1795448730663543211"])},"_ab_cdc_deleted_at":${pick(rand, ["null", '"2024"', "0"])}}`,
    () => `{"a":${jsonString(rand, pick(rand, ["x", "\ud800", "😀"]))},"meta":${pick(rand, ['{"region":"eu"}', "{}", '{"region":null}', "[]", '{"_region":1}'])}}`,
    () => jsonValue(rand),
  ];
  const members: [string, string][] = [
    ["stream", str(stream[0] as string)],
    ["data", pick(rand, dataKinds)()],
    ["emitted_at", String(rand(1e9))],
  ];
  if (stream[1] !== undefined) members.push(["namespace", str(stream[1])]);
  else if (rand(4) === 0) members.push(["namespace", pick(rand, ["null", "5", "{}"])]);
  if (rand(5) === 0) members.push(["meta", jsonValue(rand)]);
  if (rand(12) === 0) members.push([pick(rand, ["data", "stream"]), jsonValue(rand)]);
  for (let n = rand(3); n > 0; n--) members.push(members.splice(rand(members.length), 1)[0] as [string, string]);
  const record = `{${members.map(([k, v]) => `${ws()}${str(k)}${ws()}:${ws()}${v}${ws()}`).join(",")}}`;
  const top: [string, string][] = [
    ["type", rand(10) === 0 ? pick(rand, ['"STATE"', '"RECORDS"', "1", '"\\u0052ECORD"']) : '"RECORD"'],
    ["record", record],
  ];
  if (rand(6) === 0) top.push(["extra", jsonValue(rand)]);
  if (rand(15) === 0) top.push(["type", '"RECORD"']);
  if (rand(2) === 0) top.reverse();
  return `${ws()}{${top.map(([k, v]) => `${ws()}${str(k)}${ws()}:${ws()}${v}`).join(",")}}${ws()}`;
}

describe("RecordIntake", () => {
  it("takes usual RECORD lines on the fast path, with the same data and key as the general path", () => {
    const i = intake();
    const lines = [
      '{"type":"RECORD","record":{"stream":"s","data":{"_ts":1795442349408543211,"a":[1,{"b":"}"}]},"emitted_at":1}}',
      '{"type":"RECORD","record":{"namespace":"ns","stream":"s","data":{"x":"é ❤️"},"emitted_at":1}}',
      '{"record":{"stream":"é\ufeff","data":{"\ufeffk":"\ufeffv"}},"type":"RECORD"}',
      '{"type":"RECORD","record":{"stream":"dedup","data":{"_id":"j97000112j9e5r83b79bb0tvd18jr43w","_ab_cdc_deleted_at":null}}}',
      '{"type":"RECORD","record":{"stream":"dedup","data":{"_id":18446744073709551615}}}',
      '{"type":"RECORD","record":{"stream":"dedup","data":{"source_id":"kept","_id":"renamed"}}}',
      '{"type":"RECORD","record":{"stream":"pair","data":{"a":"x","meta":{"region":"eu","other":1}}}}',
      ' { "type" : "RECORD" , "record" : { "stream" : "s" , "data" : { } } } \r',
    ];
    for (const l of lines) expect(agrees(i, l), l).toBe(true);
  });

  it("leaves to the general path every line it cannot vouch for", () => {
    const i = intake();
    const lines = [
      '{"type":"STATE","state":{}}',
      '{"type":"RECORD","record":{"stream":"unknown","data":{}}}',
      '{"type":"RECORD","record":{"stream":"s","namespace":"nope","data":{}}}',
      '{"type":"RECORD","record":{"stream":"s","data":[1]}}',
      '{"type":"RECORD","record":{"stream":"s"}}',
      '{"type":"RECORD","record":{"stream":"\\u0073","data":{}}}',
      '{"type":"RECORD","record":{"stream":"s","data":{},"data":{}}}',
      '{"type":"RECORD","type":"RECORD","record":{"stream":"s","data":{}}}',
      '{"type":"RECORD","\\u0072ecord":{"stream":"s","data":{}}}',
      '{"type":"RECORD","record":{"stream":"s","data":{"a":1,"a":2}}}',
      '{"type":"RECORD","record":{"stream":"s","data":{"x":1e999}}}',
      '{"type":"RECORD","record":{"stream":"s","data":{"x":1}}} x',
      '{"type":"RECORD","record":{"stream":"s","data":{"x":1}}',
      '\ufeff{"type":"RECORD","record":{"stream":"s","data":{}}}',
      // Dedup: a missing key, and a CDC delete (which needs its key-only record first).
      '{"type":"RECORD","record":{"stream":"dedup","data":{"id":"x"}}}',
      '{"type":"RECORD","record":{"stream":"dedup","data":{"_id":"x","_ab_cdc_deleted_at":"2024-01-01"}}}',
      '{"type":"RECORD","record":{"stream":"pair","data":{"a":"x","meta":{}}}}',
      `{"type":"RECORD","record":{"stream":"s","data":{"s":"${"z".repeat(1024 * 1024)}"}}}`,
    ];
    for (const l of lines) expect(i.fast(line(l)), l.slice(0, 100)).toBeUndefined();
  });

  it("agrees with the general path on random and corrupted lines", () => {
    const rand = seeded(99);
    const i = intake();
    let fast = 0;
    for (let n = 0; n < 5000; n++) {
      const text = recordLine(rand);
      if (agrees(i, text)) fast++;
      agrees(i, corrupt(rand, text));
    }
    // Many random lines are meant for the general path; the fast path must still take plenty.
    expect(fast).toBeGreaterThan(500);
  });
});
