// The import route's scanner (the fast path) against the parsed path it falls back to: the same
// bodies, sent as they are and with an unknown member that makes the scanner give up, must give
// the same replies, stored texts (lossless and clean) and primary-key index entries.
import { afterEach, describe, expect, it } from "vitest";
import { type ConvexEmulator, DocumentGenerator, encodeValue, type Value } from "../src/index.js";
import { call, startEmulator } from "./emulator-helpers.js";

const IMPORT = "/api/streaming_import/import_airbyte_records";
const JSON_HEADERS = { "content-type": "application/json" };

interface Rev {
  text: string | null;
  clean: string | undefined;
}
interface TabletView {
  name: string;
  component: string;
  docs: Map<string, Rev>;
  pkIndex: { entries: Map<string, string | Set<string>> } | undefined;
}

function dump(emu: ConvexEmulator): unknown {
  const store = (emu as unknown as { store: { tablets: TabletView[] } }).store;
  return store.tablets.map((t) => ({
    table: `${t.component}/${t.name}`,
    docs: [...t.docs].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, r]) => [id, r.text, r.clean]),
    index: t.pkIndex === undefined ? undefined : [...t.pkIndex.entries].map(([k, v]) => [k, typeof v === "string" ? v : [...v].sort()]).sort(),
  }));
}

/** The same body with an unknown leading member: valid for the server, abandoned by the scanner. */
function slowBody(body: string): string {
  const at = body.indexOf("{");
  return `${body.slice(0, at + 1)}"zzz_unknown":0,${body.slice(at + 1)}`;
}

let emus: ConvexEmulator[] = [];
afterEach(async () => {
  for (const e of emus) await e.stop();
  emus = [];
});

/** Runs `bodies` against a fresh emulator per path (with `indexes` added first); compares all. */
async function compare(bodies: (string | Buffer)[], indexes?: Record<string, string[][]>): Promise<{ status: number; text: string }[]> {
  const fast = await startEmulator({ clock: { manual: true, startMs: 1.7e12 } });
  const slow = await startEmulator({ clock: { manual: true, startMs: 1.7e12 } });
  emus.push(fast, slow);
  const replies: { status: number; text: string }[] = [];
  for (const emu of [fast, slow]) {
    if (indexes !== undefined) {
      const r = await call(emu, "PUT", "/api/streaming_import/add_primary_key_indexes", { body: { indexes } });
      expect(r.status).toBe(200);
      emu.finishIndexBackfills();
    }
  }
  for (const body of bodies) {
    const text = typeof body === "string" ? body : body.toString("latin1");
    const a = await call(fast, "POST", IMPORT, { rawBody: typeof body === "string" ? body : (body as unknown as string), headers: JSON_HEADERS });
    const slowRaw = typeof body === "string" ? slowBody(text) : Buffer.from(slowBody(text), "latin1");
    const b = await call(slow, "POST", IMPORT, { rawBody: slowRaw as unknown as string, headers: JSON_HEADERS });
    expect({ status: a.status, text: a.text }).toEqual({ status: b.status, text: b.text });
    replies.push({ status: a.status, text: a.text });
  }
  expect(dump(fast)).toEqual(dump(slow));
  return replies;
}

const body = (tables: Record<string, string[][] | null>, messages: string[]) =>
  `{"tables":${JSON.stringify(Object.fromEntries(Object.entries(tables).map(([k, pk]) => [k, { primaryKey: pk, jsonSchema: {} }])))},"messages":[${messages.join(",")}]}`;
const msg = (table: string, data: string) => `{"tableName":${JSON.stringify(table)},"data":${data}}`;

function generated(n: number, from: number): string[] {
  const gen = new DocumentGenerator({ seed: 3 });
  const out: string[] = [];
  for (let i = from; i < from + n; i++) {
    const doc = gen.doc(i % 3 === 0 ? "users" : i % 3 === 1 ? "messages" : "events", i);
    const parts = [`"_id":"k${i % 50}"`, `"_creationTime":${1.7e12 + i}.5`, `"_ab_cdc_lsn":${(1n << 60n) + BigInt(i)}`, `"_ab_cdc_deleted_at":${i % 7 === 0 ? '"2024"' : "null"}`];
    for (const [k, v] of Object.entries(doc)) if (v !== undefined) parts.push(`${JSON.stringify(k)}:${encodeValue(v as Value, "json")}`);
    out.push(msg("t", `{${parts.join(",")}}`));
  }
  return out;
}

describe("import scanner matches the parsed path", () => {
  it("generated records, append and dedup (with CDC deletes)", async () => {
    await compare([body({ t: null }, generated(300, 0))]);
    await compare([body({ t: [["source_id"]] }, generated(300, 0)), body({ t: [["source_id"]] }, generated(300, 300))], { t: [["source_id"]] });
  });

  it("strings: escapes, raw non-ASCII, invalid UTF-8, control characters", async () => {
    const strings = [
      '"a\\"b"',
      '"\\u00e9\\n\\t\\/x"',
      '"\\ud83d\\ude00"',
      '"\\ud800"',
      '"東京 é 😀"',
      '""',
      '"a_long_plain_ascii_string_of_some_length"',
    ];
    const msgs = strings.map((s, i) => msg("t", `{"v":${s},"n":${i},${s}:1}`));
    await compare([body({ t: null }, msgs)]);
    await compare([Buffer.concat([Buffer.from(body({ t: null }, [msg("t", '{"v":"x')])), Buffer.from([0xff, 0xe6, 0x9d]), Buffer.from('y","k":1}}]}')])]);
    // A syntax error (a raw tab) reads as the parser's own message.
    const bad = body({ t: null }, [msg("t", '{"v":"a\tb"}')]);
    const emu = await startEmulator();
    emus.push(emu);
    const r = await call(emu, "POST", IMPORT, { rawBody: bad, headers: JSON_HEADERS });
    let message = "";
    try {
      JSON.parse(bad);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(r.status).toBe(400);
    expect(r.text).toBe(JSON.stringify({ code: "BadJsonBody", message: `Failed to parse the request body as JSON: ${message}` }));
  });

  it("numbers: Float64 formatting, -0, infinities, big integers", async () => {
    const nums = ["0", "-0", "-0.0", "0.0", "1e400", "-1e400", "1.5e-7", "123456789012345678901234", "1E2", "0.1", "9007199254740993", "-123456789012345", "123456789012345", "1234567890123456", "1e21", "1e16", "2.5E+3", "-1e-400",
      "61.0", "-61.0", "0.5", "-0.5", "0.00001", "0.000001", "0.0000012", "0.00012", "0.10", "12.3400", "1.000000000000000", "123456789012.345", "1234567890123.456",
      "0.30000000000000004", "0.1000000000000001", "999999999999999.9", "123456789012345.0", "1234567890123456.0", "4.35", "2.675", "1.1e0"];
    const msgs = nums.map((x, i) => msg("t", `{"x":${x},"i":${i},"o":{"y":[${x}]}}`));
    await compare([body({ t: null }, msgs)]);
    await compare([body({ t: [["x"]] }, msgs), body({ t: [["x"]] }, msgs)], { t: [["x"]] });
    await compare([body({ t: [["o", "y"]] }, msgs)], { t: [["o", "y"]] });
    // CDC numbers are dropped unencoded: -0 or infinities there change nothing.
    await compare([body({ t: null }, [msg("t", '{"a":1,"_ab_cdc_lsn":-0,"_ab_cdc_x":1e400,"_ab_cdc_y":{"z":-0}}'), msg("t", '{"_ab_cdc_lsn":-0.0}')])]);
  });

  it("names: sanitizing, duplicates, collisions, table names, member order", async () => {
    const msgs = [
      msg("t", '{"_id":1,"$type":"t","héllo":2,"first name":"x","MyField":{"_inner":[{"$x":1}]},"z":{},"a":[]}'),
      msg("t", '{"a":1,"a":2}'),
      msg("t", '{"_a":1,"source_a":2}'),
      msg("t", '{"o":{"b":1,"b":{"c":2}}}'),
      msg("My Table", '{"k":1}'),
      '{"data":{"q":1},"tableName":"t"}',
      ' { "tableName" : "t" , "data" : { "w" : [ 1 , { "x" : null } , true , false ] , "e" : { } } } ',
    ];
    await compare([body({ t: null, "My Table": null }, msgs)]);
    // One body per message, so that the scanner's cases are not all given up for one of them.
    await compare(msgs.map((m) => body({ t: null, "My Table": null }, [m])));
    await compare([body({ t: null }, [msg("t", '{"_x":1,"source_x":2,"source_source_x":3,"source_source_source_x":4}')])]);
    await compare([body({ t: null }, [msg("$bad", '{"k":1}')])]);
    await compare([body({ t: null }, [msg("u", '{"k":1}')])]);
  });

  it("errors and limits", async () => {
    const wide = `{${Array.from({ length: 1025 }, (_, i) => `"f${i}":1`).join(",")}}`;
    const deep = (n: number) => `${"[".repeat(n)}1${"]".repeat(n)}`;
    const cases = [
      body({ t: null }, [msg("t", wide)]),
      body({ t: null }, [msg("t", `{"a":[${Array(8193).fill(0).join(",")}]}`)]),
      body({ t: null }, [msg("t", `{"a":${deep(16)}}`)]),
      body({ t: null }, [msg("t", `{"a":${deep(70)}}`)]),
      body({ t: null }, [msg("t", `{"a":"${"x".repeat(1 << 20)}"}`)]),
      body({ t: null }, ['{"tableName":"t"}']),
      body({ t: null }, ['{"data":{}}']),
      body({ t: null }, [msg("t", "[1]")]),
      body({ t: null }, [msg("t", "null")]),
      body({ t: [] }, [msg("t", "{}")]),
      body({ t: [["k"]] }, [msg("t", '{"a":1}')]),
      body({ t: [["k"]] }, [msg("t", '{"k":1}')]),
      body({ t: [["_ab_cdc_lsn"]] }, [msg("t", '{"_ab_cdc_lsn":1}')]),
      `{"messages":[${msg("t", '{"a":1}')}],"tables":{"t":{"primaryKey":null,"jsonSchema":{}}}}`,
      `{"tables":{"t":{"primaryKey":null,"jsonSchema":{}}},"messages":[]}`,
      `{"tables":{"t":{"primaryKey":"x","jsonSchema":{}}},"messages":[]}`,
    ];
    const replies = await compare(cases, { t: [["k"]] });
    expect(replies.map((r) => r.status)).toContain(400);
  });
});
