// StrMap (the store's document and index maps) against Map: the same answers and the same
// iteration order under random inserts, overwrites, deletes, re-inserts and clears.
import { describe, expect, it } from "vitest";
import { StrMap } from "../src/emulator/str-map.js";
import { SeededRandom } from "../src/random.js";

describe("StrMap", () => {
  it("behaves as Map for get, has, set, delete, size and insertion-ordered iteration", () => {
    const rng = new SeededRandom(3);
    const ours = new StrMap<number>();
    const ref = new Map<string, number>();
    // Few distinct keys (many hits, deletes and re-inserts), including "" and non-ASCII.
    const key = () => (rng.chance(0.05) ? "" : `k${rng.int(0, 3000)}${rng.chance(0.1) ? "é😀" : ""}`);
    for (let step = 0; step < 60_000; step++) {
      const k = key();
      const op = rng.int(0, 9);
      if (op < 5) {
        ours.set(k, step);
        ref.set(k, step);
      } else if (op < 8) expect(ours.delete(k)).toBe(ref.delete(k));
      else expect([ours.get(k), ours.has(k)]).toEqual([ref.get(k), ref.has(k)]);
      if (step % 20_000 === 19_999) {
        ours.clear();
        ref.clear();
      }
      if (step % 5_000 === 0) expect([...ours]).toEqual([...ref]);
      expect(ours.size).toBe(ref.size);
    }
    expect([...ours.values()]).toEqual([...ref.values()]);
    expect([...ours.entries()]).toEqual([...ref.entries()]);
  });

  it("grows to many keys and finds every one", () => {
    const m = new StrMap<number>();
    for (let i = 0; i < 100_000; i++) m.set(`id${i}`, i);
    for (let i = 0; i < 100_000; i++) expect(m.get(`id${i}`)).toBe(i);
    expect(m.get("id100000")).toBeUndefined();
    expect(m.size).toBe(100_000);
  });
});
