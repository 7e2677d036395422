import { describe, expect, it } from "vitest";
import { checkRecord, MAX_ARRAY_LENGTH, MAX_DOCUMENT_BYTES, MAX_OBJECT_FIELDS, SYSTEM_FIELDS_BYTES } from "../src/validate-record.js";

const append = { primaryKey: null };

function nested(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) v = { n: v };
  return v;
}

describe("checkRecord", () => {
  it("computes Convex's size formula with stored names and system fields", () => {
    const r = checkRecord({ a: "xy", _b: 1, c: null, d: [true], _ab_cdc_lsn: 5 }, append);
    // object 2 + a(1+1+4) + source_b(8+1+9) + c(1+1+1) + d(1+1+(2+1)) + system fields; _ab_cdc* dropped
    expect(r).toEqual({ ok: true, convexBytes: 2 + 6 + 18 + 3 + 5 + SYSTEM_FIELDS_BYTES });
  });

  it("accepts a document just under 1 MiB and refuses one just over", () => {
    const base = checkRecord({ s: "" }, append);
    if (!base.ok) throw new Error("base refused");
    const room = MAX_DOCUMENT_BYTES - base.convexBytes;
    expect(checkRecord({ s: "x".repeat(room) }, append).ok).toBe(true);
    const over = checkRecord({ s: "x".repeat(room + 1) }, append);
    expect(over.ok).toBe(false);
    if (!over.ok) expect(over.reason).toMatch(/1 MiB/);
  });

  it("counts UTF-8 bytes of strings", () => {
    const ascii = checkRecord({ s: "aa" }, append);
    const multi = checkRecord({ s: "éé" }, append);
    if (!ascii.ok || !multi.ok) throw new Error("refused");
    expect(multi.convexBytes - ascii.convexBytes).toBe(2);
  });

  it("refuses nesting over 16 levels", () => {
    expect(checkRecord(nested(16), append).ok).toBe(true);
    const r = checkRecord(nested(17), append);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/nested/);
  });

  it("refuses objects with more than 1024 fields at any level", () => {
    const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i]));
    expect(checkRecord(fields(MAX_OBJECT_FIELDS), append).ok).toBe(true);
    expect(checkRecord(fields(MAX_OBJECT_FIELDS + 1), append).ok).toBe(false);
    expect(checkRecord({ inner: fields(MAX_OBJECT_FIELDS + 1) }, append).ok).toBe(false);
  });

  it("refuses arrays longer than 8192", () => {
    expect(checkRecord({ a: new Array(MAX_ARRAY_LENGTH).fill(0) }, append).ok).toBe(true);
    const r = checkRecord({ a: new Array(MAX_ARRAY_LENGTH + 1).fill(0) }, append);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/8192/);
  });

  it("accepts $-prefixed names (the server renames them) but refuses non-finite numbers", () => {
    expect(checkRecord({ $type: "x", nested: { $bytes: "AA==" } }, append).ok).toBe(true);
    const r = checkRecord({ big: Number.POSITIVE_INFINITY }, append);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/big/);
  });

  it("refuses data that is not an object", () => {
    for (const data of [null, [], "x", 3, undefined]) expect(checkRecord(data, append).ok).toBe(false);
  });

  it("refuses too many renames clashing in one object", () => {
    const r = checkRecord({ source_x: 1, source_source_x: 2, source_source_source_x: 3, source_source_source_source_x: 4, _x: 5 }, append);
    expect(r.ok).toBe(false);
  });

  it("in dedup mode, requires every primary-key field by its stored name", () => {
    const pk = { primaryKey: [["source_id"], ["meta", "region"]] };
    expect(checkRecord({ _id: "a", meta: { region: null } }, pk).ok).toBe(true);
    const r = checkRecord({ _id: "a", meta: {} }, pk);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/meta\.region/);
    expect(checkRecord({ id: "a", meta: { region: 1 } }, pk).ok).toBe(false);
  });

  it("in dedup mode, gives a key text that matches whenever the server's key matches", () => {
    const one = { primaryKey: [["source_id"]] };
    const key = (data: Record<string, unknown>, pk = one) => {
      const r = checkRecord(data, pk);
      if (!r.ok) throw new Error(r.reason);
      return r.key;
    };
    expect(key({ _id: "abc" })).toBe("abc");
    expect(key({ _id: 1.0 })).toBe(key({ _id: 1 }));
    expect(key({ _id: null })).toBe("null");
    // Values it cannot vouch for make the batch wait for its table's other batches.
    expect(key({ _id: { a: 1 } })).toBeNull();
    expect(key({ _id: [1] })).toBeNull();
    expect(key({ _id: "\ud800" })).toBeNull();
    const two = { primaryKey: [["a"], ["b"]] };
    expect(key({ a: "x", b: 1 }, two)).toBe('["x",1]');
    expect(key({ a: "x,1", b: "" }, two)).not.toBe(key({ a: "x", b: "1" }, two));
    expect(checkRecord({ a: 1 }, append)).not.toHaveProperty("key");
  });
});
