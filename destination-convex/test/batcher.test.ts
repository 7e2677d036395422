import { describe, expect, it } from "vitest";
import { type Batch, Batcher, type BatchTarget, batchTarget } from "../src/batcher.js";
import { keyHashes } from "../src/key-hashes.js";

function target(table: string, pk: string[][] | null = null): BatchTarget {
  return batchTarget(table, pk, '{"type":"object"}');
}

function part(_table: string, data: unknown): [string, number] {
  const text = JSON.stringify(data);
  return [text, Buffer.byteLength(text)];
}

function text(batch: Batch): string {
  return Buffer.from(batch.body).toString("utf8");
}

function check(batch: Batch, limitBytes: number): void {
  expect(batch.body.byteLength).toBe(batch.bytes);
  expect(batch.bytes).toBeLessThanOrEqual(limitBytes);
  const body = JSON.parse(text(batch)) as { tables: Record<string, unknown>; messages: unknown[] };
  expect(Object.keys(body.tables)).toEqual([batch.table]);
  expect(body.messages.length).toBe(batch.records);
  expect(batch.records).toBeGreaterThan(0);
}

describe("Batcher", () => {
  it("seals by record count", () => {
    const b = new Batcher({ maxRecords: 3, maxBytes: 1 << 20 });
    const t = target("t");
    const sealed: Batch[] = [];
    for (let i = 0; i < 7; i++) sealed.push(...b.add(t, ...part("t", { i }), i + 1, 0));
    sealed.push(...b.sealAll());
    expect(sealed.map((s) => s.records)).toEqual([3, 3, 1]);
    for (const s of sealed) check(s, 1 << 20);
    expect(sealed.flatMap((s) => (JSON.parse(text(s)) as { messages: { data: { i: number } }[] }).messages.map((m) => m.data.i))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(b.bufferedBytes).toBe(0);
  });

  it("seals by bytes, never over the limit, and never empty", () => {
    const limit = 10_000;
    const b = new Batcher({ maxRecords: 1_000_000, maxBytes: limit });
    const t = target("t");
    const sealed: Batch[] = [];
    for (let i = 0; i < 200; i++) sealed.push(...b.add(t, ...part("t", { s: "x".repeat((i * 37) % 900) }), i + 1, 0));
    sealed.push(...b.sealAll());
    expect(sealed.reduce((n, s) => n + s.records, 0)).toBe(200);
    for (const s of sealed) check(s, limit);
    expect(b.sealAll()).toEqual([]);
  });

  it("seals a table's first batches small, doubling up to the limit, per table", () => {
    const limit = 4 << 20;
    const b = new Batcher({ maxRecords: 1_000_000, maxBytes: limit });
    const sizes = new Map<string, number[]>();
    const record = part("t", { s: "z".repeat(1000) });
    for (let i = 0; i < 12_000; i++) {
      const t = target(i % 3 === 0 ? "a" : "b");
      for (const s of b.add(t, ...record, i + 1, 0)) sizes.set(s.table, [...(sizes.get(s.table) ?? []), s.bytes]);
    }
    const kib = (table: string) => (sizes.get(table) ?? []).map((n) => Math.ceil(n / 1024));
    // Each sealed batch is as full as its step allows: within one record of 256 KiB, 512 KiB, ….
    expect(kib("b").slice(0, 5)).toEqual([256, 512, 1024, 2048, 4096]);
    expect(kib("a").slice(0, 4)).toEqual([256, 512, 1024, 2048]);
    for (const table of ["a", "b"]) for (const n of sizes.get(table) ?? []) expect(n).toBeLessThanOrEqual(limit);
  });

  it("sends a record larger than the batch limit alone", () => {
    const b = new Batcher({ maxRecords: 100, maxBytes: 1000 });
    const t = target("t");
    const out = [...b.add(t, ...part("t", { a: 1 }), 1, 0), ...b.add(t, ...part("t", { s: "y".repeat(5000) }), 2, 0), ...b.add(t, ...part("t", { a: 2 }), 3, 0), ...b.sealAll()];
    expect(out.map((s) => s.records)).toEqual([1, 1, 1]);
    expect(out.map((s) => s.firstLine)).toEqual([1, 2, 3]);
  });

  it("keeps tables apart and seals by age and by size", () => {
    const b = new Batcher({ maxRecords: 100, maxBytes: 1 << 20 });
    b.add(target("a"), ...part("a", { x: 1 }), 1, 100);
    b.add(target("b"), ...part("b", { x: "long".repeat(50) }), 2, 200);
    expect(b.sealOpenedBefore(150).map((s) => s.table)).toEqual(["a"]);
    b.add(target("a"), ...part("a", { x: 1 }), 3, 300);
    expect(b.sealLargest()?.table).toBe("b");
    expect(b.sealAll().map((s) => s.table)).toEqual(["a"]);
    expect(b.isEmpty).toBe(true);
  });

  it("writes the data text as given, in UTF-8, with exact sizes", () => {
    const b = new Batcher({ maxRecords: 10, maxBytes: 1 << 20 });
    const t = target("tâble");
    const data = ['{"_ts":1795442349408543211,"s":"héllo ❤️"}', '{ "spaced" : [1, 2] }'];
    for (const [i, d] of data.entries()) b.add(t, d, Buffer.byteLength(d), i + 1, 0);
    const [batch] = b.sealAll();
    if (batch === undefined) throw new Error("no batch");
    check(batch, 1 << 20);
    expect(text(batch)).toContain('{"tableName":"tâble","data":{"_ts":1795442349408543211,"s":"héllo ❤️"}},{"tableName":"tâble","data":{ "spaced" : [1, 2] }}]}');
  });

  it("grows its buffer past the initial size and stays exact", () => {
    const b = new Batcher({ maxRecords: 100_000, maxBytes: 4 << 20 });
    const t = target("t");
    const sealed: Batch[] = [];
    for (let i = 0; i < 5000; i++) sealed.push(...b.add(t, ...part("t", { i, s: "é".repeat(i % 300) }), i + 1, 0));
    sealed.push(...b.sealAll());
    for (const s of sealed) check(s, 4 << 20);
    expect(sealed.flatMap((s) => (JSON.parse(text(s)) as { messages: { data: { i: number } }[] }).messages.map((m) => m.data.i))).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it("gives dedup batches their keys, appends an empty key list, and a batch with an unknown key none", () => {
    const b = new Batcher({ maxRecords: 2, maxBytes: 1 << 20 });
    const keyed = target("k", [["source_id"]]);
    const plain = target("p");
    const out = [
      ...b.add(keyed, "{}", 2, 1, 0, "a"),
      ...b.add(keyed, "{}", 2, 2, 0, "b"),
      ...b.add(keyed, "{}", 2, 3, 0, "c"),
      ...b.add(keyed, "{}", 2, 4, 0, null),
      ...b.add(plain, "{}", 2, 5, 0),
      ...b.sealAll(),
    ];
    expect(out.map((s) => [s.table, s.keys])).toEqual([
      ["k", keyHashes(["b", "a"])],
      ["k", undefined],
      ["p", new Float64Array(0)],
    ]);
  });
  it("writes data given as bytes exactly as given, mixed with text", () => {
    const b = new Batcher({ maxRecords: 10, maxBytes: 1 << 20 });
    const t = target("t");
    const line = Buffer.from('{"type":"RECORD","record":{"data":{"n":18446744073709551615,"s":"é"}}}');
    const bytes = line.subarray(line.indexOf('{"n"'), line.length - 2);
    b.add(t, bytes, bytes.length, 1, 0);
    b.add(t, '{"x":"ü"}', Buffer.byteLength('{"x":"ü"}'), 2, 0);
    const [batch] = b.sealAll();
    if (batch === undefined) throw new Error("no batch");
    check(batch, 1 << 20);
    expect(text(batch)).toContain('"data":{"n":18446744073709551615,"s":"é"}},{"tableName":"t","data":{"x":"ü"}}]}');
  });

  it("reuses a sent batch's buffer for a later batch, which is then written afresh", () => {
    const b = new Batcher({ maxRecords: 3, maxBytes: 1 << 20 });
    const t = target("t");
    const first: Batch[] = [];
    for (let i = 0; i < 3; i++) first.push(...b.add(t, ...part("t", { i, pad: "p".repeat(100) }), i + 1, 0));
    expect(first).toHaveLength(1);
    const sent = first[0] as Batch;
    b.recycle(sent);
    const second = [...b.add(t, ...part("t", { j: 1 }), 4, 0), ...b.sealAll()];
    expect(second).toHaveLength(1);
    const batch = second[0] as Batch;
    expect(batch.body.buffer).toBe(sent.body.buffer);
    check(batch, 1 << 20);
    expect((JSON.parse(text(batch)) as { messages: { data: unknown }[] }).messages.map((m) => m.data)).toEqual([{ j: 1 }]);
  });
});
