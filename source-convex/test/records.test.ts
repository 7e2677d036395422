import { parseExact } from "@convex-airbyte/shared";
import { describe, expect, it } from "vitest";
import { formatUpdatedAt, recordLine, toRecordData } from "../src/records.js";

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
  it("passes every server field through and adds the CDC columns", () => {
    const doc = { _component: "", _table: "users", _ts: 1660025892365542190n, _creationTime: 1652593901795.4175, _id: "abc", name: "Lee", nested: { a: [1, "x"] } };
    const data = toRecordData(doc);
    expect(data).toMatchObject({ ...doc, _ab_cdc_lsn: doc._ts, _ab_cdc_updated_at: "2022-08-09T06:18:12.365542", _deleted: false, _ab_cdc_deleted_at: null });
    expect(doc).not.toHaveProperty("_deleted");
  });
  it("marks deletes with _ab_cdc_deleted_at = _ab_cdc_updated_at", () => {
    const data = toRecordData({ _table: "users", _component: "", _ts: 1000000000000000000n, _deleted: true, _id: "x" });
    expect(data._deleted).toBe(true);
    expect(data._ab_cdc_deleted_at).toBe("2001-09-09T01:46:40");
    expect(data._ab_cdc_deleted_at).toBe(data._ab_cdc_updated_at);
  });
  it("keeps _deleted: false from document_deltas", () => {
    const data = toRecordData({ _ts: 5n, _deleted: false, _id: "x" });
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
