// White-box checks of the import fast path's bookkeeping: document ids built without intermediate
// arrays equal the general encoder's, the scanner's UTF-16 length of each record (which sizes
// transactions) is exact, numbers written digit by digit equal `formatFloat`, and stored texts
// stay readable across text chunks; short copies and the creation time read from stored bytes.
import { describe, expect, it } from "vitest";
import type { Deployment } from "../src/emulator/context.js";
import { encodeId, newDocumentId, newInternalId } from "../src/emulator/ids.js";
import { copyBytes, isCanonicalDecimal } from "../src/emulator/import-bytes.js";
import { arenaBuffer } from "../src/emulator/import-record.js";
import { scanImportBody } from "../src/emulator/import-scan.js";
import { writeLargeFloat } from "../src/emulator/large-float.js";
import { type Rev, storedCreationTime } from "../src/emulator/store.js";
import { textChunks } from "../src/emulator/text-chunks.js";
import { encodeValue, formatFloat } from "../src/emulator/values.js";
import { SeededRandom } from "../src/random.js";

describe("newDocumentId", () => {
  it("equals encodeId(newInternalId()) and draws the generator the same way", () => {
    for (const table of [1, 100, 127, 128, 10_001, 16_383, 16_384, 2 ** 21, 2 ** 28 + 5, 2 ** 32 - 1]) {
      const a = new SeededRandom(table);
      const b = new SeededRandom(table);
      for (let i = 0; i < 200; i++) {
        const now = 1.7e12 + i * 3_600_000 * 7;
        expect(newDocumentId(table, a, now)).toBe(encodeId(table, newInternalId(b, now)));
      }
      expect(a.next()).toBe(b.next());
    }
  });
});

describe("import scanner records", () => {
  const dep = { store: { getTable: () => undefined } } as unknown as Deployment;
  const body = (messages: string[]) => `{"tables":{"t":{"primaryKey":null,"jsonSchema":{}}},"messages":[${messages.join(",")}]}`;

  it("count the UTF-16 length of their text exactly", () => {
    const values = ['"é"', '"€"', '"😀"', '"\\u00e9"', '"\\ud83d\\ude00"', '"\\ud800"', '"a\\"b"', '"\u0800x\u{10ffff}"', '"東京"', "1e400", "-0", "12", "1.5", "null", '"plain"'];
    const messages = values.flatMap((v, i) => [
      `{"tableName":"t","data":{"v":${v},"i":${i}}}`,
      `{"tableName":"t","data":{ "Z" : [ ${v} , { "b" : ${v} , "a" : 1 } ] , "_ab_cdc_x" : "ü€😀" , "z" : ${v} }}`,
      `{"tableName":"t","data":{"_ab_cdc_lsn":${v},"A":${v}}}`,
    ]);
    const scanned = scanImportBody([Buffer.from(body(messages))], dep);
    expect(scanned?.records).toHaveLength(messages.length);
    const arena = arenaBuffer();
    for (const r of scanned?.records ?? []) {
      const bytes = arena.subarray(r.headAt, r.end);
      expect(r.units).toBe(bytes.toString("utf8").length);
    }
  });
});

/** Random decimal digits (the first one not 0). */
function digits(rng: SeededRandom, n: number): string {
  let s = String(rng.int(1, 9));
  for (let i = 1; i < n; i++) s += String(rng.int(0, 9));
  return s;
}

describe("writeLargeFloat", () => {
  const buf = Buffer.alloc(64);
  const written = (x: number) => buf.toString("latin1", 0, writeLargeFloat(buf, 0, x));

  it("writes formatFloat's text for integers in [1e16, 1e21): random, round, tied and next to powers of two", () => {
    const rng = new SeededRandom(7);
    const xs: number[] = [1e16, -1e16, 1e20, 2 ** 60, 9.999999999999999e20, 1795458977744543200];
    for (let i = 0; i < 20_000; i++) xs.push(Number(digits(rng, rng.int(17, 21))) * (rng.chance(0.5) ? -1 : 1));
    // Mostly 0s and 9s: the shortest digits round down or up across many digits.
    for (let i = 0; i < 20_000; i++) {
      let s = String(rng.int(1, 9));
      const n = rng.int(17, 21);
      while (s.length < n) s += rng.chance(0.45) ? "0" : rng.chance(0.8) ? "9" : String(rng.int(0, 9));
      xs.push(Number(s));
    }
    for (let e = 54; e < 70; e++) {
      for (let d = -20; d <= 20; d++) xs.push(2 ** e + d * 2 ** (e - 52), 2 ** e + (d * 2 ** (e - 52)) / 2);
    }
    // Consecutive doubles: every rounding case of the interval around each.
    for (const start of [1e16, 2.5e17, 1e19, 5.5e20]) for (let k = 0; k < 2000; k++) xs.push(start + k * 2 ** (Math.floor(Math.log2(start)) - 52));
    for (const x of xs) if (Math.abs(x) >= 1e16 && Math.abs(x) < 1e21) expect(written(x)).toBe(formatFloat(x));
  });

  it("repeats and collisions of its recent texts", () => {
    const xs = [1795458977744543200, 1795458977744543200 + 256 * 64, 1795458977744543200 + 256 * 128, -1795458977744543200];
    for (let round = 0; round < 3; round++) for (const x of xs) expect(written(x)).toBe(formatFloat(x));
  });
});

describe("isCanonicalDecimal", () => {
  const canonical = (t: string) => {
    const b = Buffer.from(`${t}\0`);
    return isCanonicalDecimal(b, 0, t.indexOf("."), t.length);
  };

  it("accepts a decimal only when it is the server's text for its double (16 digits included)", () => {
    const rng = new SeededRandom(11);
    let accepted16 = 0;
    for (let i = 0; i < 50_000; i++) {
      const total = rng.int(14, 17);
      const intDigits = rng.int(1, total - 1);
      const t = `${rng.chance(0.2) ? "-" : ""}${rng.chance(0.05) ? "0" : digits(rng, intDigits)}.${digits(rng, total - intDigits)}`;
      const ok = canonical(t);
      if (ok) expect(formatFloat(Number(t))).toBe(t);
      if (ok && total === 16) accepted16++;
    }
    expect(accepted16).toBeGreaterThan(1000);
  });

  it("accepts timestamps in ms with three decimals, and not the 16-digit decimals that share a double", () => {
    for (const t of ["1795458977744.543", "1700000000000.001", "-1234567890123.457"]) expect(canonical(t)).toBe(true);
    // Above 2^43 ms two adjacent 3-decimal values can read as one double: never both canonical.
    for (let k = 0; k < 1000; k++) {
      const t = `${2 ** 43 + k}.${String(k % 1000).padStart(3, "0").replace(/0$/, "1")}`;
      if (canonical(t)) expect(formatFloat(Number(t))).toBe(t);
    }
  });
});

describe("text chunks", () => {
  it("keep every appended text readable when a new chunk starts", () => {
    const texts = Array.from({ length: 60 }, (_, i) => `"k":"${"é😀x".repeat(20_000 + i)}"`);
    // Near the end of the chunk (the space skipped is never read).
    textChunks.room(1);
    textChunks.pos = textChunks.buf.length - 4_000_000;
    const stored = texts.map((t) => {
      const start = textChunks.append(t);
      return { buf: textChunks.buf, start, end: textChunks.pos };
    });
    expect(new Set(stored.map((s) => s.buf)).size).toBeGreaterThan(1);
    for (const [i, s] of stored.entries()) expect(s.buf.toString("utf8", s.start, s.end)).toBe(texts[i]);
  });
});

describe("copyBytes", () => {
  it("copies like copyWithin, forwards and backwards, at every length and alignment", () => {
    const buf = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 255));
    const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    for (let n = 0; n <= 70; n++) {
      for (const [to, from] of [
        [150, 3],
        [151, 0],
        [2, 80],
        [100, 100 + n],
      ] as const) {
        const want = Buffer.from(buf).copyWithin(to, from, from + n);
        copyBytes(buf, view, to, from, from + n);
        expect(buf.equals(want)).toBe(true);
      }
    }
  });
});

describe("storedCreationTime", () => {
  it("reads the creation time of a stored text as decoding it would", () => {
    const values = [0, 1, -1, 0.1, 123.456, 1e-7, 1e21, 2 ** 53, 2 ** 53 + 2, -0, Number.POSITIVE_INFINITY, 5e-324, Number.MAX_VALUE];
    const rng = new SeededRandom(7);
    for (let i = 0; i < 2000; i++) values.push(rng.next() * 10 ** Math.floor(rng.next() * 20), Math.round(rng.next() * 1e16) / 1000);
    for (const ct of values) {
      const ctText = encodeValue(ct, "convex_encoded_json");
      // First member (no field sorts before it), or after one; the bytes around it are another document's.
      for (const text of [`"_creationTime":${ctText},"_id":"x","a":1`, `"A":{"_creationTime":5},"_creationTime":${ctText},"_id":"x"`]) {
        const buf = Buffer.from(`,1${text},9`);
        const rev = { buf, start: 2, end: 2 + text.length, text } as unknown as Rev;
        expect(Object.is(storedCreationTime(rev), ct)).toBe(true);
      }
    }
  });
});
