// White-box checks of the import fast path's bookkeeping: document ids built without intermediate
// arrays equal the general encoder's, and the scanner's UTF-16 length of each record (which sizes
// transactions and slices the request's decoded texts) is exact.
import { describe, expect, it } from "vitest";
import type { Deployment } from "../src/emulator/context.js";
import { encodeId, newDocumentId, newInternalId } from "../src/emulator/ids.js";
import { arenaBuffer } from "../src/emulator/import-record.js";
import { scanImportBody } from "../src/emulator/import-scan.js";
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

  it("count the UTF-16 length of their text exactly, and are ASCII only when they are", () => {
    const values = ['"é"', '"€"', '"😀"', '"\\u00e9"', '"\\ud83d\\ude00"', '"\\ud800"', '"a\\"b"', '"\u0800x\u{10ffff}"', '"東京"', "1e400", "-0", "12", "1.5", "null", '"plain"'];
    const messages = values.flatMap((v, i) => [
      `{"tableName":"t","data":{"v":${v},"i":${i}}}`,
      `{"tableName":"t","data":{ "Z" : [ ${v} , { "b" : ${v} , "a" : 1 } ] , "_ab_cdc_x" : "ü€😀" , "z" : ${v} }}`,
      `{"tableName":"t","data":{"_ab_cdc_lsn":${v},"A":${v}}}`,
    ]);
    const scanned = scanImportBody(Buffer.from(body(messages)), dep);
    expect(scanned?.records).toHaveLength(messages.length);
    const arena = arenaBuffer();
    for (const r of scanned?.records ?? []) {
      const bytes = arena.subarray(r.headAt, r.end);
      expect(r.units).toBe(bytes.toString("utf8").length);
      expect(r.ascii).toBe(bytes.every((b) => b < 0x80));
    }
  });
});
