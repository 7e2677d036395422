import { describe, expect, it } from "vitest";
import { parseExact, parseExactWith, placeEach, placeOne, stringifyExact, toInt64 } from "../src/json/exact-json.js";

const BIG = 1152921504606846977n; // 2^60 + 1: JSON.parse would round it

describe("parseExact", () => {
  it("keeps integers above 2^53 exact as bigint and leaves the rest native", () => {
    const v = parseExact(`{"_ts":${BIG},"n":5,"f":1.5,"safe":9007199254740991,"s":"x"}`) as Record<string, unknown>;
    expect(v._ts).toBe(BIG);
    expect(v.n).toBe(5);
    expect(v.f).toBe(1.5);
    expect(v.safe).toBe(9007199254740991);
    expect(BigInt(JSON.parse(`{"_ts":${BIG}}`)._ts)).not.toBe(BIG); // sanity: the native parse rounds
  });

  it("handles negative, nested, array-element and whitespace-separated big integers", () => {
    const text = `{ "a" : -${BIG} , "b": {"c": [1, ${BIG + 2n}, 3]}, "d": [${BIG}] }`;
    const v = parseExact(text) as { a: bigint; b: { c: unknown[] }; d: unknown[] };
    expect(v.a).toBe(-BIG);
    expect(v.b.c).toEqual([1, BIG + 2n, 3]);
    expect(v.d).toEqual([BIG]);
  });

  it("keeps a bare top-level integer exact too", () => {
    expect(parseExact(` ${BIG}\n`)).toBe(BIG);
    expect(parseExact(`-${BIG}`)).toBe(-BIG);
    expect(parseExact("9007199254740991")).toBe(9007199254740991);
  });

  it("never touches digits inside strings, even ones that look like members", () => {
    const tricky = `{"s":"{\\"_ts\\":${BIG},\\"x\\":1}","t":",\\"k\\":${BIG}}","u":"[${BIG}]","k\\"_ts":"${BIG}"}`;
    const v = parseExact(tricky) as Record<string, unknown>;
    expect(v).toEqual(JSON.parse(tricky));
    expect(typeof v.s).toBe("string");
  });

  it("keeps strings that start with the tag characters intact", () => {
    const text = `{"a":"~${BIG}","b":"^1","c":"\\u007e9","_ts":${BIG}}`;
    const v = parseExact(text) as Record<string, unknown>;
    expect(v.a).toBe(`~${BIG}`);
    expect(v.c).toBe("~9");
    expect(v._ts).toBe(BIG);
  });

  it("falls back to the complete parser when every tag candidate is taken", () => {
    const strings = "~^`|#@!*&%".split("").map((c, i) => `"k${i}":"${c}1"`).join(",");
    const v = parseExact(`{${strings},"x":${BIG},"arr":["a,${BIG}]",${BIG}]}`) as Record<string, unknown>;
    expect(v.x).toBe(BIG);
    expect(v.arr).toEqual([`a,${BIG}]`, BIG]);
    expect(v.k0).toBe("~1");
  });

  it("reports syntax errors", () => {
    expect(() => parseExact(`{"a":${BIG},`)).toThrow();
    expect(() => parseExact("{bad")).toThrow();
  });
});

describe("parseExactWith (the export page path)", () => {
  const page = (values: bigint[], snapshot: bigint) =>
    `{"values":[${values.map((t, i) => `{"_component":"","_table":"t","_ts":${t},"_id":"id${i}","f":0.30000000000000004,"i64":"${BIG}"}`).join(",")}],"snapshot":${snapshot},"cursor":"{\\"tablet\\":\\"x\\"}","hasMore":true}`;
  const place = (root: unknown, exact: Parameters<typeof placeEach>[2]) => {
    const r = root as Record<string, unknown>;
    return placeEach(r.values, "_ts", exact) >= 0 && placeOne(r, "snapshot", exact);
  };

  it("places exact timestamps where the caller expects them", () => {
    const ts = [BIG, BIG + 1n, BIG + 255n];
    const v = parseExactWith(page(ts, BIG + 1000n), place) as { values: { _ts: bigint; i64: string; f: number }[]; snapshot: bigint };
    expect(v.values.map((x) => x._ts)).toEqual(ts);
    expect(v.snapshot).toBe(BIG + 1000n);
    expect(v.values[0]?.i64).toBe(String(BIG));
    expect(v.values[0]?.f).toBe(0.30000000000000004);
  });

  it("falls back to the general parse when placement does not check out", () => {
    const text = `{"values":[{"_ts":${BIG},"nested":{"_ts":${BIG + 7n}}}],"snapshot":${BIG}}`;
    const v = parseExactWith(text, place) as { values: { _ts: bigint; nested: { _ts: bigint } }[] };
    expect(v.values[0]?._ts).toBe(BIG);
    expect(v.values[0]?.nested._ts).toBe(BIG + 7n);
  });

  it("falls back when a big integer sits under an unknown key", () => {
    const v = parseExactWith(`{"values":[],"other":${BIG}}`, () => true) as { other: bigint };
    expect(v.other).toBe(BIG);
  });
});

describe("stringifyExact", () => {
  it("writes bigint as exact digits at the top level and deeper", () => {
    expect(stringifyExact({ a: 1, _ts: BIG })).toBe(`{"a":1,"_ts":${BIG}}`);
    expect(stringifyExact({ _ts: BIG })).toBe(`{"_ts":${BIG}}`);
    expect(stringifyExact({ s: { d: [BIG, "x", null] } })).toBe(`{"s":{"d":[${BIG},"x",null]}}`);
    expect(stringifyExact(BIG)).toBe(String(BIG));
  });

  it("round-trips through parseExact", () => {
    const value = { state: { delta_cursor: BIG, snapshot_cursor: '{"tablet":"a"}', snapshot_has_more: false }, list: [BIG, -BIG] };
    expect(parseExact(stringifyExact(value))).toEqual(value);
  });

  it("matches JSON.stringify when there is no bigint", () => {
    const value = { a: "x\u2028", b: [1, { c: undefined }], d: null };
    expect(stringifyExact(value)).toBe(JSON.stringify(value));
  });
});

describe("toInt64", () => {
  it("accepts bigint, safe numbers and digit strings only", () => {
    expect(toInt64(BIG)).toBe(BIG);
    expect(toInt64(12)).toBe(12n);
    expect(toInt64(String(BIG))).toBe(BIG);
    expect(toInt64(1.5)).toBeUndefined();
    expect(toInt64(2 ** 60)).toBeUndefined();
    expect(toInt64("12a")).toBeUndefined();
  });
});
