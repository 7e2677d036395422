// The import route's scanner (the fast path) against the parsed path it falls back to: the same
// bodies, sent as they are and with an unknown member that makes the scanner give up, must give
// the same replies, stored texts (lossless and clean) and primary-key index entries.
import { parseExact } from "@convex-airbyte/shared";
import { afterEach, describe, expect, it } from "vitest";
import { type ConvexEmulator, DocumentGenerator, encodeValue, type Knobs, type Value } from "../src/index.js";
import { scanCounts } from "../src/emulator/import-scan.js";
import { textChunks } from "../src/emulator/text-chunks.js";
import { call, startEmulator } from "./emulator-helpers.js";

const IMPORT = "/api/streaming_import/import_airbyte_records";
const JSON_HEADERS = { "content-type": "application/json" };

interface Rev {
  ts: bigint;
  text: string | null;
  clean: string | undefined;
  prev: Rev | undefined;
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
    docs: [...t.docs].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, r]) => [id, ...revisions(r)]),
    index: t.pkIndex === undefined ? undefined : [...t.pkIndex.entries].map(([k, v]) => [k, typeof v === "string" ? v : [...v].sort()]).sort(),
  }));
}

/** A document's revisions, newest first: commit timestamp (so chunk boundaries count), texts. */
function revisions(r: Rev | undefined): unknown[] {
  const out: unknown[] = [];
  for (; r !== undefined; r = r.prev) out.push([String(r.ts), r.text, r.clean]);
  return out;
}

/** The same body with an unknown leading member: valid for the server, abandoned by the scanner. */
function slowBody(body: string): string {
  const at = body.indexOf("{");
  return `${body.slice(0, at + 1)}"zzz_unknown":0,${body.slice(at + 1)}`;
}

/** A reply of the scanning emulator, and whether its scanner handled the body (no fallback). */
interface Reply {
  status: number;
  text: string;
  scanned: boolean;
}

let emus: ConvexEmulator[] = [];
afterEach(async () => {
  for (const e of emus) await e.stop();
  emus = [];
});

/** Runs `bodies` against a fresh emulator per path (with `indexes` added first); compares all. */
async function compare(
  bodies: (string | Buffer)[],
  indexes?: Record<string, string[][]>,
  knobs?: Partial<Knobs>,
): Promise<Reply[]> {
  const fast = await startEmulator({ clock: { manual: true, startMs: 1.7e12 }, knobs });
  const slow = await startEmulator({ clock: { manual: true, startMs: 1.7e12 }, knobs });
  emus.push(fast, slow);
  const replies: Reply[] = [];
  for (const emu of [fast, slow]) {
    if (indexes !== undefined) {
      const r = await call(emu, "PUT", "/api/streaming_import/add_primary_key_indexes", { body: { indexes } });
      expect(r.status).toBe(200);
      emu.finishIndexBackfills();
    }
  }
  for (const body of bodies) {
    const text = typeof body === "string" ? body : body.toString("latin1");
    const scannedBefore = scanCounts.scanned;
    const a = await call(fast, "POST", IMPORT, { rawBody: typeof body === "string" ? body : (body as unknown as string), headers: JSON_HEADERS });
    const scanned = scanCounts.scanned > scannedBefore;
    const slowRaw = typeof body === "string" ? slowBody(text) : Buffer.from(slowBody(text), "latin1");
    const b = await call(slow, "POST", IMPORT, { rawBody: slowRaw as unknown as string, headers: JSON_HEADERS });
    expect({ status: a.status, text: a.text }).toEqual({ status: b.status, text: b.text });
    replies.push({ status: a.status, text: a.text, scanned });
  }
  expect(dump(fast)).toEqual(dump(slow));
  return replies;
}

/** `compare`, and each body must have been scanned (the fast path ran, no fallback). */
async function compareScanned(...args: Parameters<typeof compare>): Promise<Reply[]> {
  const replies = await compare(...args);
  expect(replies.map((r) => r.scanned)).toEqual(replies.map(() => true));
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
    const ok = (replies: Reply[]) => expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    ok(await compareScanned([body({ t: null }, generated(300, 0))]));
    // Keys repeat within a request: documents written earlier in it are read and replaced.
    ok(await compareScanned([body({ t: [["source_id"]] }, generated(300, 0)), body({ t: [["source_id"]] }, generated(300, 300))], { t: [["source_id"]] }));
  });

  // Early in the file: the shape tree is shared by every test here, and a node keeps at most 32
  // edges; the keys below must be edges of the nodes after "l1" to "l9" to be compared as tokens.
  it("keys compared four bytes at a time: keys that differ in one byte, at every position", async () => {
    const msgs: string[] = [];
    for (let len = 1; len < 10; len++) {
      for (let at = 0; at < len; at++) {
        const key = "k".repeat(len);
        const other = `${key.slice(0, at)}j${key.slice(at + 1)}`;
        // A key taken for the other would repeat a name, which the scanner leaves to the parsed path.
        msgs.push(msg("t", `{"l${len}":0,"${key}":1,"${other}":2}`), msg("t", `{"l${len}":0,"${other}":3,"${key}":4}`));
      }
    }
    await compareScanned([body({ t: null }, msgs), body({ t: null }, msgs.reverse())]);
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
    await compareScanned([body({ t: null }, msgs)]);
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
      "0.30000000000000004", "0.1000000000000001", "999999999999999.9", "123456789012345.0", "1234567890123456.0", "4.35", "2.675", "1.1e0",
      "1795448737341543211", "-1795448737341543211", "12345678901234567", "99999999999999999999", "-1e16", "9.999e20", "-9.999999999999999e20", "1e20", "100000000000000000000",
      "1.7976931348623157e308", "5e-324", "-5e-324", "0.000001", "-0.00001", "1e-5", "123e-2", "-0e5", "0e0",
      "9007199254740995", "18446744073709551615", "-9223372036854775808", "9223372036854775807", "12345678901234567890", "-1234567890123456789", "10000000000000001"];
    const msgs = nums.map((x, i) => msg("t", `{"x":${x},"i":${i},"o":{"y":[${x}]}}`));
    await compareScanned([body({ t: null }, msgs)]);
    await compareScanned([body({ t: [["x"]] }, msgs), body({ t: [["x"]] }, msgs)], { t: [["x"]] });
    // A nested key path through -0 (a `{"$float":…}` in stored text) is left to the parsed path.
    await compare([body({ t: [["o", "y"]] }, msgs)], { t: [["o", "y"]] });
    // CDC numbers are dropped unencoded: -0 or infinities there change nothing.
    await compareScanned([body({ t: null }, [msg("t", '{"a":1,"_ab_cdc_lsn":-0,"_ab_cdc_x":1e400,"_ab_cdc_y":{"z":-0}}'), msg("t", '{"_ab_cdc_lsn":-0.0}')])]);
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
    const one = await compare(msgs.map((m) => body({ t: null, "My Table": null }, [m])));
    // Repeated names (and names that collide once sanitized) are left to the parsed path.
    expect(one.map((r) => r.scanned)).toEqual([true, false, false, false, true, true, true]);
    await compare([body({ t: null }, [msg("t", '{"_x":1,"source_x":2,"source_source_x":3,"source_source_source_x":4}')])]);
    await compareScanned([body({ t: null }, [msg("$bad", '{"k":1}')])]);
    await compareScanned([body({ t: null }, [msg("u", '{"k":1}')])]);
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

  it("bodies cut short anywhere: the parser's error, nothing written (the scanner never reads past the end)", async () => {
    const full = body({ t: null }, [msg("t", '{"k":"a\\"\\u00e9","n":-12.5e3,"o":{"z":[true,false,null],"a":"é😀"},"_ab_cdc_lsn":1}'), '{"data":{"k":"\\\\"},"tableName":"t"}']);
    const bytes = Buffer.from(full);
    const emu = await startEmulator();
    emus.push(emu);
    for (let i = 0; i < bytes.length; i++) {
      const cut = bytes.subarray(0, i);
      let message = "";
      try {
        parseExact(cut.toString("utf8"));
      } catch (e) {
        message = (e as Error).message;
      }
      const r = await call(emu, "POST", IMPORT, { rawBody: cut as unknown as string, headers: JSON_HEADERS });
      expect({ status: r.status, text: r.text }).toEqual({
        status: 400,
        text: JSON.stringify({ code: "BadJsonBody", message: `Failed to parse the request body as JSON: ${message}` }),
      });
    }
    expect(emu.tables()).toEqual([]);
    const before = scanCounts.scanned;
    expect((await call(emu, "POST", IMPORT, { rawBody: full, headers: JSON_HEADERS })).status).toBe(200);
    expect(scanCounts.scanned).toBe(before + 1);
    expect(emu.readTable("t")).toHaveLength(2);
  });

  it("whitespace everywhere, unsorted nested objects, renamed keys inside arrays", async () => {
    const spaced = [
      ' {\t"tableName" :\n"t" ,"data":{ "b" : 1 , "a" : { "z" : [ 1 , { "y" : 2 , "x" : 3 } , [ ] , { } ] , "c" : "s" } , "_id" : "k1" } } ',
      msg("t", '{"z":{"d":{"$b":1,"a":2,"_c":[{"y":1,"x":{"q":1,"p":2}}]},"c":1},"y":[{"b":1,"a":2},{"a":1,"b":2}],"A":1,"_z":0,"Z":[]}'),
      msg("t", '{"m":1,\r\n"l":2,"k":{"j":"x" ,"i":"y"},"h":[1 ,2] ,"g":null}'),
      msg("t", '{"n" :1,"m" :{"b" :1,"a" :2}}'),
    ];
    await compareScanned([body({ t: null }, spaced)]);
    await compareScanned(spaced.map((m) => body({ t: null }, [m])));
  });

  it("UTF-8: every sequence length raw, escapes that decode to non-ASCII, and ill-formed bytes", async () => {
    // The first and last code points of each UTF-8 length, around the surrogates, sent raw.
    const raw = ["\u0080", "\u07ff", "\u0800", "\ud7ff", "\ue000", "\uffff", "\u{10000}", "\u{10ffff}", "é€😀", "東京", "a\u0800b", "ascii"];
    const msgs = raw.map((v, i) => msg("t", `{"v":${JSON.stringify(v)},"i":${i},"o":{"w":${JSON.stringify(v)},"e":"\\u00e9\\ud83d\\ude00\\ud800"}}`));
    expect(await compare([body({ t: null }, msgs)])).toMatchObject([{ scanned: true }]);
    // Each ill-formed sequence leaves its body to the parsed path (which decodes it to U+FFFD).
    const ill = [[0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf0, 0x80, 0x80, 0x80], [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0x80], [0xbf], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xff], [0xc3]];
    const bodies = ill.map((bytes) =>
      Buffer.concat([Buffer.from(body({ t: null }, [msg("t", '{"ok":"é"}'), msg("t", '{"v":"x')])), Buffer.from(bytes), Buffer.from('y","k":"é"}}]}')]),
    );
    expect((await compare(bodies)).map((r) => r.scanned)).toEqual(ill.map(() => false));
  });

  it("CDC members first, last, nested, escaped, non-ASCII, special floats; records of CDC members only", async () => {
    const msgs = [
      msg("t", '{"_ab_cdc_lsn":{"a":[-0,"é",{"c":1,"b":2}],"z":"\\u00e9"},"x":1,"_ab_cdc_deleted_at":"2024","y":"ü","_ab_cdc_updated_at":"t\\u00e9"}'),
      msg("t", '{"x":2,"_ab_cdc_deleted_at" : null ,"_ab_cdc_lsn":-0}'),
      msg("t", '{"_ab_cdc_lsn":1e400,"_ab_cdc_deleted_at":null}'),
      msg("t", '{"_ab_cdc_deleted_at":"now"}'),
      msg("t", '{"source_ab_cdc_x":"kept? no: dropped","b":[1e400,-0],"a":"😀"}'),
    ];
    await compareScanned([body({ t: null }, msgs)]);
    await compareScanned([body({ t: [["x"]] }, msgs.slice(0, 2)), body({ t: [["x"]] }, [msgs[1] as string, msgs[0] as string])], { t: [["x"]] });
  });

  it("primary keys: last member, nested paths, escaped and non-ASCII values, other index fields, several paths", async () => {
    const msgs = [
      msg("t", '{"b":1,"z":"a\\"b"}'),
      msg("t", '{"z":"ü","b":2}'),
      msg("t", '{"b":3,"z":{"y":1,"x":[1,"é"]}}'),
      msg("t", '{"b":4,"z":"a\\"b"}'),
      msg("t", '{"b":5,"z":-0}'),
      msg("t", '{"b":6,"z":"ü","_ab_cdc_deleted_at":"x"}'),
    ];
    await compareScanned([body({ t: [["z"]] }, msgs), body({ t: [["z"]] }, msgs)], { t: [["z"]] });
    await compareScanned([body({ t: [["b"]] }, msgs), body({ t: [["b"]] }, msgs)], { t: [["z"]] });
    await compareScanned([body({ t: null }, msgs), body({ t: [["b"]] }, msgs)], { t: [["z"]] });
    await compareScanned([body({ t: [["z"], ["b"]] }, msgs), body({ t: [["z"], ["b"]] }, msgs)], { t: [["z"], ["b"]] });
    const nested = [msg("t", '{"o":{"q":1,"p":"é"},"v":1}'), msg("t", '{"v":2,"o":{"p":"é","q":2}}'), msg("t", '{"o":1}')];
    await compareScanned([body({ t: [["o", "p"]] }, nested), body({ t: [["o", "p"]] }, nested)], { t: [["o", "p"]] });
    const floats = [...nested, msg("t", '{"o":{"p":[-0]},"v":3}')];
    expect(await compare([body({ t: [["o", "p"]] }, floats)], { t: [["o", "p"]] })).toMatchObject([{ scanned: false }]);
  });

  it("requests after one another reuse the arena: no key or table name of an earlier body is remembered by position", async () => {
    const a = body({ t: null, u: null }, [msg("t", '{"aa":1,"bb":{"cc":1}}')]);
    const b = body({ t: null, u: null }, [msg("u", '{"ab":1,"bc":{"cd":1}}')]);
    await compareScanned([a, b, a, b]);
  });

  it("large outputs grow the arena mid-scan; many distinct keys at one node", async () => {
    const negZeros = Array(2000).fill("-0").join(",");
    const big = Array.from({ length: 150 }, (_, i) => msg("t", `{"z":[${negZeros}],"i":${i},"a":{"y":"é${i}","b":{"d":2,"c":1}}}`));
    await compareScanned([body({ t: null }, big)]);
    const wide = Array.from({ length: 40 }, (_, i) => msg("t", `{"k${i}":${i},"a${i % 3}":"x"}`));
    await compareScanned([body({ t: null }, wide), body({ t: null }, wide)]);
  });

  it("strings read four bytes at a time: what ends or escapes them in every byte of a group", async () => {
    // Each special byte at offsets 0 to 8 of a string, itself at four alignments in the body.
    const specials = ['\\"', "\\n", "é", "😀", "\\u00e9"];
    const msgs: string[] = [];
    for (let pad = 0; pad < 4; pad++) {
      for (const sp of specials) for (let at = 0; at < 9; at++) msgs.push(msg("t", `{"${"p".repeat(pad + 1)}":"${"a".repeat(at)}${sp}${"b".repeat(8 - at)}","n":${at}}`));
    }
    await compareScanned([body({ t: null }, msgs), body({ t: null }, msgs.reverse())]);
    // An ill-formed byte at any offset leaves the body to the parsed path, and a control character
    // reads as the parser's error.
    const withByte = (at: number, byte: number) =>
      Buffer.concat([Buffer.from(body({ t: null }, [msg("t", `{"v":"${"a".repeat(at)}`)])), Buffer.from([byte]), Buffer.from('b"}}]}')]);
    const offsets = [0, 1, 2, 3, 4, 5];
    expect((await compare(offsets.map((at) => withByte(at, 0xff)))).map((r) => r.scanned)).toEqual(offsets.map(() => false));
    const emu = await startEmulator();
    emus.push(emu);
    for (const at of offsets) {
      const bad = withByte(at, 0x01);
      let message = "";
      try {
        JSON.parse(bad.toString("utf8"));
      } catch (e) {
        message = (e as Error).message;
      }
      const r = await call(emu, "POST", IMPORT, { rawBody: bad as unknown as string, headers: JSON_HEADERS });
      expect(r.text).toBe(JSON.stringify({ code: "BadJsonBody", message: `Failed to parse the request body as JSON: ${message}` }));
    }
  });

  it("stored texts of one request spread over text chunks (append, and dedup with replacements)", async () => {
    const s = "é😀 text ".repeat(1200);
    const big = (from: number) => Array.from({ length: 700 }, (_, i) => msg("t", `{"k":${(from + i) % 500},"s":"${s}","i":${from + i}}`));
    for (const pk of [null, [["k"]]]) {
      const emu = await startEmulator();
      emus.push(emu);
      if (pk !== null) {
        expect((await call(emu, "PUT", "/api/streaming_import/add_primary_key_indexes", { body: { indexes: { t: pk } } })).status).toBe(200);
        emu.finishIndexBackfills();
      }
      // 10 MB of stored text that starts 4 MB before the end of a chunk (the space skipped is never read).
      textChunks.room(1);
      textChunks.pos = textChunks.buf.length - 4_000_000;
      const chunk = textChunks.buf;
      const r = await call(emu, "POST", IMPORT, { rawBody: body({ t: pk }, big(0)), headers: JSON_HEADERS });
      expect(r.status).toBe(200);
      expect(textChunks.buf).not.toBe(chunk);
      // Each document reads back as sent (a text stored at the wrong place would read as another's);
      // with a primary key, the last of each key replaced the ones before it in the same request.
      const docs = emu.readTable("t").map((d) => [d.k, d.i, d.s]);
      const expected = pk === null ? Array.from({ length: 700 }, (_, i) => [i % 500, i, s]) : Array.from({ length: 500 }, (_, k) => [k, k < 200 ? k + 500 : k, s]);
      const byKey = (a: unknown[], b: unknown[]) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number);
      expect(docs.sort(byKey)).toEqual(expected.sort(byKey));
    }
  });

  it("transaction chunks by writes and by bytes (UTF-16 lengths), and the rollback of a failing chunk", async () => {
    const docs = Array.from({ length: 40 }, (_, i) => msg("t", `{"k":${i % 13},"s":"${"é😀x".repeat(i % 7)}","n":${i}}`));
    const tooDeep = msg("t", `{"k":99,"d":${"[".repeat(17)}1${"]".repeat(17)}}`);
    for (const knobs of [{ txnMaxWrites: 3 }, { txnMaxBytes: 400 }, { txnMaxBytes: 1000, txnMaxWrites: 7 }]) {
      await compareScanned([body({ t: null }, docs), body({ t: [["k"]] }, [...docs, tooDeep]), body({ t: [["k"]] }, docs)], { t: [["k"]] }, knobs);
    }
  });
});
