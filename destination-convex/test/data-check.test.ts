import { describe, expect, it } from "vitest";
import { DataChecker } from "../src/data-check.js";
import { JSON_SCAN_FAIL } from "@convex-airbyte/shared";
import { checkRecord, MAX_ARRAY_LENGTH, MAX_OBJECT_FIELDS } from "../src/validate-record.js";
import { corrupt, jsonObject, nested, seeded } from "../../shared/test/support/tricky-json.js";

const append = { primaryKey: null };

/**
 * The data checker against the general path on one text: when it accepts, JSON.parse and
 * `checkRecord` accept too, with the same size; when they accept, it accepts unless it gave up.
 * Returns whether the checker accepted.
 */
function agrees(checker: DataChecker, text: string, group: unknown = "g"): boolean {
  const b = Buffer.from(text);
  const end = checker.checkDocument(b, 0, group);
  const accepted = end !== JSON_SCAN_FAIL && end === b.length;
  let general: ReturnType<typeof checkRecord> | "invalid";
  try {
    general = checkRecord(JSON.parse(text), append);
  } catch {
    general = "invalid";
  }
  if (accepted) {
    expect(general, text).not.toBe("invalid");
    if (general !== "invalid") {
      expect(general.ok, text).toBe(true);
      if (general.ok) expect(checker.size, text).toBe(general.convexBytes);
    }
  }
  return accepted;
}

describe("DataChecker", () => {
  it("gives Convex's size for usual records, again and again as key lists repeat", () => {
    const checker = new DataChecker();
    const docs = [
      '{"_id":"j97","_creationTime":1795448730663.543,"body":"héllo ❤️","n":1,"meta":{"client":"android"},"tags":["a","b"],"_ab_cdc_lsn":1795448730663543211,"_ab_cdc_deleted_at":null}',
      '{"_id":"j98","_creationTime":1,"body":"","n":-2.5e3,"meta":{"client":"ios"},"tags":[],"_ab_cdc_lsn":2,"_ab_cdc_deleted_at":null}',
      '{"_id":"j99","_creationTime":1,"attachment":{"data":"AA=="},"body":"x","n":0,"meta":{"client":"web"},"tags":["c"],"_ab_cdc_lsn":2,"_ab_cdc_deleted_at":"2024"}',
      '{"_id":"j99","_creationTime":1,"body":"x","n":0,"meta":{"client":"web","version":"5"},"tags":[{"k":1},{"k":2,"j":3}]}',
      "{}",
      '{"a":{}}',
    ];
    for (let round = 0; round < 3; round++) for (const d of docs) expect(agrees(checker, d), d).toBe(true);
  });

  it("agrees with checkRecord on random documents, and never accepts what JSON.parse refuses", () => {
    const rand = seeded(5);
    const checker = new DataChecker();
    let accepted = 0;
    for (let n = 0; n < 4000; n++) {
      const doc = jsonObject(rand, 0, { maxDepth: 4 });
      if (agrees(checker, doc, n % 3)) accepted++;
      agrees(checker, corrupt(rand, doc), n % 3);
    }
    // The fast path must take most ordinary documents, not just be safe by refusing everything.
    expect(accepted).toBeGreaterThan(1000);
  });

  it("gives up on what the general path refuses or must decide", () => {
    const checker = new DataChecker();
    const fields = (n: number) => `{${Array.from({ length: n }, (_, i) => `"f${i}":${i}`).join(",")}}`;
    const refused = [
      nested(17),
      `{"a":${nested(16)}}`,
      fields(MAX_OBJECT_FIELDS + 1),
      `{"inner":${fields(MAX_OBJECT_FIELDS + 1)}}`,
      `{"a":[${new Array(MAX_ARRAY_LENGTH + 1).fill(0).join(",")}]}`,
      '{"big":1e999}',
      '{"big":[-1e400]}',
      `{"big":${"9".repeat(400)}}`,
      '{"source_x":1,"source_source_x":2,"source_source_source_x":3,"source_source_source_source_x":4,"_x":5}',
      `{"_${"a".repeat(1100)}":1}`,
      // Repeated and escaped keys are left to JSON.parse, whose objects keep the last value.
      '{"a":1,"a":2}',
      '{"a":1,"\\u0061":2}',
      '{"\\u0061":1}',
      "[1]",
      '"text"',
    ];
    for (const text of refused) {
      const b = Buffer.from(text);
      expect(checker.checkDocument(b, 0, "g"), text.slice(0, 80)).toBe(JSON_SCAN_FAIL);
    }
    expect(agrees(checker, nested(16))).toBe(true);
    expect(agrees(checker, fields(MAX_OBJECT_FIELDS))).toBe(true);
    expect(agrees(checker, `{"a":[${new Array(MAX_ARRAY_LENGTH).fill(0).join(",")}]}`)).toBe(true);
    expect(agrees(checker, `{"n":${"9".repeat(300)}}`)).toBe(true);
  });

  it("keeps working for objects used as maps (ever-new keys) and when its memory is reset", () => {
    const checker = new DataChecker(1_000);
    const rand = seeded(3);
    for (let n = 0; n < 2000; n++) {
      const doc = `{"id":${n},"map":{${Array.from({ length: 1 + rand(3) }, () => `"k${rand(100_000)}":${rand(9)}`).join(",")}}}`;
      expect(agrees(checker, doc), doc).toBe(true);
    }
  });

  it("reports the top-level key list and where each value is", () => {
    const checker = new DataChecker();
    const text = '{ "_id" : "abc" , "n":[1, 2], "o":{"x":null} }';
    const b = Buffer.from(text);
    expect(checker.checkDocument(b, 0, "g")).toBe(b.length);
    const shape = checker.shape;
    expect(shape?.keys).toEqual(["_id", "n", "o"]);
    const value = (k: string) => {
      const i = shape?.indexOf(k) ?? -1;
      return text.slice(checker.valueStart[i], checker.valueEnd[i]);
    };
    expect([value("_id"), value("n"), value("o")]).toEqual(['"abc"', "[1, 2]", '{"x":null}']);
    expect(shape?.fieldFor("source_id")).toBe(0);
    expect(shape?.fieldFor("n")).toBe(1);
    expect(shape?.fieldFor("_id")).toBe(-1);
  });
});
