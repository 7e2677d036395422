import { describe, expect, it } from "vitest";
import { ExportPageShapeError, peekPageTail, RawDocument, scanExportPage } from "../src/convex/export-page.js";
import { JsonSyntaxError, parseExact } from "../src/json/exact-json.js";

const TS = 1152921504606846977n; // 2^60 + 1: a float would round it
const page = (values: string, rest = `,"snapshot":${TS + 10n},"cursor":"c1","hasMore":true`) => Buffer.from(`{"values":[${values}]${rest}}`);

describe("scanExportPage", () => {
  it("keeps each document as a view of its own bytes and reads _ts, _table and _component exactly", () => {
    const docs = [
      `{"_id":"a1","_ts":${TS},"_table":"users","_component":"","n":1.0,"s":"x\\"y"}`,
      `{"_table":"t\\u00e9","_ts":${TS + 1n},"_component":"analytics","big":123456789012345678901}`,
    ];
    const body = page(docs.join(","));
    const { docs: out, fields } = scanExportPage(body, false);
    expect(out?.map((d) => d.bytes.toString())).toEqual(docs);
    expect(out?.[0]?.bytes.buffer).toBe(body.buffer); // a view, not a copy
    expect(out?.map((d) => [d._ts, d.tsText, d._table, d._component, d._deleted, d.spliceable])).toEqual([
      [TS, String(TS), "users", "", undefined, true],
      [TS + 1n, String(TS + 1n), "té", "analytics", undefined, true],
    ]);
    expect(fields).toEqual({ snapshot: TS + 10n, cursor: "c1", hasMore: true });
    // The general path reads the same values, digits included.
    expect(out?.[1]?.toObject()).toEqual(parseExact(docs[1] as string));
  });

  it("reads members with escaped names and any member order; empty pages are fine", () => {
    const { docs } = scanExportPage(page(`{"\\u005fts":5,"\\u005ftable":"x","_id":"i"}`), false);
    expect(docs?.[0]?._ts).toBe(5n);
    expect(docs?.[0]?._table).toBe("x");
    expect(scanExportPage(Buffer.from(` { "hasMore" : false , "values" : [ ] , "cursor":null } `), false)).toEqual({
      docs: [],
      fields: { hasMore: false, cursor: null },
    });
  });

  it("reads _deleted of deltas, and requires it there", () => {
    const body = page(`{"_id":"a","_ts":7,"_deleted":true,"_table":"t"},{"_id":"b","_ts":8,"_deleted":false,"_table":"t"}`, ',"cursor":8,"hasMore":false');
    const { docs, fields } = scanExportPage(body, true);
    expect(docs?.map((d) => [d._deleted, d.spliceable])).toEqual([
      [true, true],
      [false, true],
    ]);
    expect(fields.cursor).toBe(8);
    expect(() => scanExportPage(page(`{"_id":"a","_ts":7}`), true)).toThrow(new ExportPageShapeError("values[0]._deleted is not a boolean"));
    expect(() => scanExportPage(page(`{"_ts":7,"_deleted":"yes"}`), true)).toThrow(ExportPageShapeError);
  });

  it("marks documents that cannot be extended in place", () => {
    const cases: [string, string][] = [
      ["a line break between tokens", `{"_ts":1,\n"a":1}`],
      ["a member the record adds", `{"_ts":1,"_ab_cdc_lsn":1}`],
      ["a _ts that is not plain digits", `{"_ts":1.0e3}`],
      ["a _deleted that is not a boolean", `{"_ts":1,"_deleted":null}`],
    ];
    for (const [why, doc] of cases) {
      const d = scanExportPage(page(doc), false).docs?.[0] as RawDocument;
      expect(d.spliceable, why).toBe(false);
      expect(d.toObject()._ts).toBe(d._ts);
    }
    expect(scanExportPage(page(`{"_ts":1.0e3}`), false).docs?.[0]?._ts).toBe(1000n);
  });

  it("names what is wrong with a body of the wrong shape", () => {
    const shape = (body: string, deltas = false) => () => scanExportPage(Buffer.from(body), deltas);
    expect(shape("[]")).toThrow(new ExportPageShapeError("the body is not a JSON object"));
    expect(shape('{"values":[1]}')).toThrow(new ExportPageShapeError("values[0] is not an object"));
    expect(shape('{"values":[{"_id":"a"}]}')).toThrow(new ExportPageShapeError("values[0]._ts is not an integer"));
    expect(shape('{"values":[{"_ts":-1}]}')).toThrow(new ExportPageShapeError("values[0]._ts is not an integer"));
    expect(shape('{"values":[{"_ts":"12"}]}')).toThrow(new ExportPageShapeError("values[0]._ts is not an integer"));
    expect(scanExportPage(Buffer.from('{"values":{}}'), false).docs).toBeUndefined();
  });

  it("rejects text that is not JSON, wherever it breaks", () => {
    const good = page(`{"_ts":1,"s":"a\\"b"},{"_ts":2,"o":{"a":[1,2]}}`);
    for (let cut = 1; cut < good.length; cut++) {
      expect(() => scanExportPage(good.subarray(0, cut), false), good.toString("utf8", 0, cut)).toThrow(JsonSyntaxError);
    }
    expect(() => scanExportPage(Buffer.from('{"values":[{"_ts":1,"a":tru}]}'), false)).toThrow(JsonSyntaxError);
    expect(() => scanExportPage(Buffer.from('{"values":[{"_ts":1}]} x'), false)).toThrow(JsonSyntaxError);
  });

  it("makes RawDocument instances the source can tell from parsed values", () => {
    const d = scanExportPage(page(`{"_ts":1}`), false).docs?.[0];
    expect(d).toBeInstanceOf(RawDocument);
  });
});

describe("peekPageTail", () => {
  it("reads the members after values from the end of the body, int64s exactly", () => {
    const docs = `{"_id":"a1","_ts":${TS},"_table":"t","snapshot":1,"cursor":"inside a document"}`;
    expect(peekPageTail(page(docs), "snapshot")).toEqual({ snapshot: TS + 10n, cursor: "c1", hasMore: true });
    expect(peekPageTail(page(docs, `,"cursor":${TS + 3n},"hasMore":false`), "cursor")).toEqual({ cursor: TS + 3n, hasMore: false });
    const escapedCursor = JSON.stringify(JSON.stringify({ tablet: "AAAAAAAAAAAAAAAAAAAAAA", id: "j574c73apj5r83vz83vfnmc5fx8a7x0g" }));
    expect(peekPageTail(page(docs, `,"snapshot":${TS},"cursor":${escapedCursor},"hasMore":true`), "snapshot")?.cursor).toBe(
      '{"tablet":"AAAAAAAAAAAAAAAAAAAAAA","id":"j574c73apj5r83vz83vfnmc5fx8a7x0g"}',
    );
  });

  it("gives nothing when the tail is cut off, absent, not after a member, or far from the end", () => {
    const body = page(`{"_id":"a1","_ts":1}`);
    expect(peekPageTail(body.subarray(0, body.length - 3), "snapshot")).toBeUndefined();
    expect(peekPageTail(Buffer.from(`{"values":[],"hasMore":false}`), "snapshot")).toBeUndefined();
    expect(peekPageTail(Buffer.from(`{"snapshot":5,"values":[]}`), "snapshot")).toBeUndefined();
    expect(peekPageTail(page(`{"_id":"a1","_ts":1}`, `,"snapshot":1,"cursor":"${"x".repeat(5000)}","hasMore":true`), "snapshot")).toBeUndefined();
  });

  it("may guess wrong when the server puts the members first: the caller checks", () => {
    // A document's own `snapshot` member is found instead; the scan of the page says otherwise.
    const body = Buffer.from(`{"snapshot":9,"cursor":null,"hasMore":false,"values":[{"_ts":1,"x":0,"snapshot":2,"hasMore":true}]}`);
    expect(peekPageTail(body, "snapshot")).toBeUndefined(); // `{"snapshot":2,"hasMore":true}]}` is not JSON
    expect(scanExportPage(body, false).fields).toEqual({ snapshot: 9, cursor: null, hasMore: false });
  });
});
