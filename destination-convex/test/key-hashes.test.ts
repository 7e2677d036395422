import { describe, expect, it } from "vitest";
import { KeyHashList, keyHash, keyHashes, sharesKey } from "../src/key-hashes.js";

describe("key hashes", () => {
  it("are whole numbers below 2^53, equal for equal texts and spread for near ones", () => {
    const texts = ["", "a", "b", "ab", "ba", '["k1"]', '["k2"]', '["é"]', '["e\\u0301"]', "x".repeat(1000), `${"x".repeat(999)}y`];
    const seen = new Set<number>();
    for (const t of texts) {
      const h = keyHash(t);
      expect(Number.isSafeInteger(h) && h >= 0).toBe(true);
      expect(keyHash(`${t}`)).toBe(h);
      seen.add(h);
    }
    expect(seen.size).toBe(texts.length);
    // 200k sequential ids (the usual key shape): no two share a hash.
    const many = new Set<number>();
    for (let i = 0; i < 200_000; i++) many.add(keyHash(`["id${i}"]`));
    expect(many.size).toBe(200_000);
  });

  it("finds a shared key between two batches, and none between disjoint ones", () => {
    const a = keyHashes(Array.from({ length: 3000 }, (_, i) => `["a${i}"]`));
    const b = keyHashes(Array.from({ length: 3000 }, (_, i) => `["b${i}"]`));
    expect(sharesKey(a, b)).toBe(false);
    expect(sharesKey(b, a)).toBe(false);
    const c = keyHashes(["zz", '["a2999"]']);
    expect(sharesKey(a, c)).toBe(true);
    expect(sharesKey(c, a)).toBe(true);
    expect(sharesKey(a, new Float64Array(0))).toBe(false);
  });

  it("collects any number of keys in order-independent sorted form", () => {
    const list = new KeyHashList();
    const texts = Array.from({ length: 1000 }, (_, i) => `k${(i * 7919) % 1000}`);
    for (const t of texts) list.add(t);
    const sorted = list.sorted();
    expect(sorted.length).toBe(1000);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i] as number).toBeGreaterThan(sorted[i - 1] as number);
    expect(sorted).toEqual(keyHashes([...texts].reverse()));
  });
});
