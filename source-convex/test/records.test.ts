import { parseExact, type RawDocument, scanExportPage } from "@convex-airbyte/shared";
import { describe, expect, it } from "vitest";
import { formatUpdatedAt, isoSeconds, recordLine, recordLines, type ServerDocument } from "../src/records.js";

describe("_ab_cdc_updated_at matches Python's utcfromtimestamp(ts/1e9).isoformat()", () => {
  // Vectors verified against CPython (reference python-connectors.md §1.6).
  const vectors: [bigint, string][] = [
    [1660025892365542190n, "2022-08-09T06:18:12.365542"],
    [1660025892355943945n, "2022-08-09T06:18:12.355944"],
    [1652593901795417481n, "2022-05-15T05:51:41.795418"],
    [1000000000000000000n, "2001-09-09T01:46:40"],
    [1700000000999999600n, "2023-11-14T22:13:21"],
    [1235n, "1970-01-01T00:00:00.000001"],
    [123n, "1970-01-01T00:00:00"],
    [100n, "1970-01-01T00:00:00"],
    [300n, "1970-01-01T00:00:00"],
  ];
  it.each(vectors)("%s → %s", (ts, expected) => {
    expect(formatUpdatedAt(ts)).toBe(expected);
  });
  it("is naive ISO with no zone and at most 6 fraction digits", () => {
    for (let i = 0; i < 1000; i++) {
      const ts = BigInt(Math.floor(Math.random() * 2 ** 31)) * 1_000_000_000n + BigInt(Math.floor(Math.random() * 1e9));
      expect(formatUpdatedAt(ts)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
    }
  });
});

describe("record shape", () => {
  /** The record data `recordLine` writes for a document (given a copy: it takes over its input). */
  const dataOf = (doc: ServerDocument): Record<string, unknown> =>
    (parseExact(recordLine("users", undefined, { ...doc }, 1)) as { record: { data: Record<string, unknown> } }).record.data;

  it("passes every server field through and adds the CDC columns", () => {
    const doc = { _component: "", _table: "users", _ts: 1660025892365542190n, _creationTime: 1652593901795.4175, _id: "abc", name: "Lee", nested: { a: [1, "x"] } };
    expect(dataOf(doc)).toEqual({ ...doc, _ab_cdc_lsn: doc._ts, _ab_cdc_updated_at: "2022-08-09T06:18:12.365542", _deleted: false, _ab_cdc_deleted_at: null });
  });
  it("marks deletes with _ab_cdc_deleted_at = _ab_cdc_updated_at", () => {
    const data = dataOf({ _table: "users", _component: "", _ts: 1000000000000000000n, _deleted: true, _id: "x" });
    expect(data._deleted).toBe(true);
    expect(data._ab_cdc_deleted_at).toBe("2001-09-09T01:46:40");
    expect(data._ab_cdc_deleted_at).toBe(data._ab_cdc_updated_at);
  });
  it("keeps _deleted: false from document_deltas", () => {
    const data = dataOf({ _ts: 5n, _deleted: false, _id: "x" });
    expect(data._deleted).toBe(false);
    expect(data._ab_cdc_deleted_at).toBeNull();
  });
  it("writes int64 _ts and _ab_cdc_lsn as exact digits", () => {
    const ts = 2n ** 62n + 12345n;
    const line = recordLine("users", undefined, { _ts: ts, _id: "a" }, 1);
    expect(line).toContain(`"_ts":${ts}`);
    expect(line).toContain(`"_ab_cdc_lsn":${ts}`);
    const parsed = parseExact(line) as { record: { data: Record<string, unknown>; stream: string } };
    expect(parsed.record.data._ts).toBe(ts);
    expect(parsed.record.stream).toBe("users");
    expect(parsed.record).not.toHaveProperty("namespace");
  });
  it("sets the namespace of component streams and survives __proto__ fields and unicode", () => {
    const doc = JSON.parse('{"_id":"a","__proto__":{"x":1},"name":"Zoë 🚀 \\u2028"}') as Record<string, unknown>;
    const line = recordLine("t", "comp/a", { ...doc, _ts: 7n } as Record<string, unknown> & { _ts: bigint }, 1);
    const parsed = JSON.parse(line);
    expect(parsed.record.namespace).toBe("comp/a");
    expect(Object.hasOwn(parsed.record.data, "__proto__")).toBe(true);
    expect(parsed.record.data.name).toBe("Zoë 🚀 \u2028");
  });
});

describe("records spliced from the server's bytes", () => {
  const TS = 2n ** 60n + 77n;
  const texts = [
    `{"_id":"a","_ts":${TS},"_table":"users","_component":"","n":1.0,"f":-2.5e-7,"big":123456789012345678901,"s":"q\\"\\\\ \\u2028 Zoë 🚀"}`,
    `{"_id":"b","_ts":${TS + 1n},"_deleted":true,"_table":"users","_component":""}`,
    `{"_id":"c","_ts":${TS + 2n},"_deleted":false,"nested":{"a":[{"b":null},[],{}]},"__proto__":{"x":1}}`,
    `{"_ts":${TS + 3n},"_id":"d",\n"line":"broken"}`,
    `{"_ts":${TS + 4n},"_id":"e","_ab_cdc_lsn":"server sent it"}`,
  ];
  const raw = () => scanExportPage(Buffer.from(`{"values":[${texts.join(",")}],"cursor":1,"hasMore":false}`), false).docs as RawDocument[];

  it("writes the same record data as the general path, every digit kept", () => {
    const docs = raw();
    expect(docs.map((d) => d.spliceable)).toEqual([true, true, true, false, false]);
    const spliced = recordLines("users", "comp", docs, 42).toString("utf8").split("\n");
    const parsed = texts.map((t) => parseExact(t) as ServerDocument);
    expect(parsed.map((d) => d._ts)).toEqual(docs.map((d) => d._ts));
    const general = recordLines("users", "comp", parsed, 42).toString("utf8").split("\n");
    expect(spliced.at(-1)).toBe("");
    expect(spliced).toHaveLength(texts.length + 1);
    for (let i = 0; i < texts.length; i++) {
      expect(parseExact(spliced[i] as string), texts[i]).toEqual(parseExact(general[i] as string));
    }
    const first = parseExact(spliced[0] as string) as { record: { data: Record<string, unknown>; namespace: string; emitted_at: number } };
    expect(first.record.namespace).toBe("comp");
    expect(first.record.emitted_at).toBe(42);
    expect(first.record.data.big).toBe(123456789012345678901n);
    expect(first.record.data._ab_cdc_lsn).toBe(TS);
    // The server's text is passed on as it is: a float keeps the form it was sent in.
    expect(spliced[0]).toContain('"n":1.0,"f":-2.5e-7,');
  });

  it("adds the CDC members in the Python connector's order, and _deleted only when the server sent none", () => {
    const [a, b, c] = recordLines("users", undefined, raw().slice(0, 3), 1).toString("utf8").split("\n");
    expect(a).toMatch(/,"_ab_cdc_lsn":\d+,"_ab_cdc_updated_at":"[^"]+","_deleted":false,"_ab_cdc_deleted_at":null\},"emitted_at":1\}\}$/);
    const del = JSON.parse(b as string).record.data;
    expect(del._deleted).toBe(true);
    expect(del._ab_cdc_deleted_at).toBe(del._ab_cdc_updated_at);
    expect((b as string).match(/"_deleted"/g)).toHaveLength(1);
    expect((c as string).match(/"_deleted"/g)).toHaveLength(1);
    expect(JSON.parse(c as string).record.data._ab_cdc_deleted_at).toBeNull();
  });

  it("mixes parsed and raw documents in one page, in order", () => {
    const docs = [raw()[0] as RawDocument, { _id: "p", _ts: 9n } as ServerDocument, raw()[3] as RawDocument];
    const ids = recordLines("s", undefined, docs, 1)
      .toString("utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l).record.data._id);
    expect(ids).toEqual(["a", "p", "d"]);
  });
});

describe("isoSeconds", () => {
  it("formats like Date#toISOString over the whole int64 nanosecond range", () => {
    const check = (whole: number) => expect(isoSeconds(whole)).toBe(new Date(whole * 1000).toISOString().slice(0, 19));
    // Leap days, century rules, the int64 end (2262-04-11) and day boundaries.
    for (const date of ["1970-01-01T00:00:00Z", "1972-02-29T23:59:59Z", "2000-02-29T12:00:00Z", "2100-03-01T00:00:00Z", "2262-04-11T23:47:16Z"]) {
      check(Date.parse(date) / 1000);
    }
    let seed = 11;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      check(Math.floor((seed / 2147483648) * 9_223_372_036) - (i % 2));
    }
  });
});
