import { describe, expect, it } from "vitest";
import { JSON_SCAN_FAIL, lastString, scanString, skipValue, skipWs } from "../src/json/json-bytes.js";
import { corrupt, jsonString, jsonValue, seeded } from "./support/tricky-json.js";

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Whether the byte scanner takes `text` as one whole JSON value. */
function scans(text: string): boolean {
  const b = Buffer.from(text);
  const end = skipValue(b, skipWs(b, 0));
  return end !== JSON_SCAN_FAIL && skipWs(b, end) === b.length;
}

describe("json-bytes", () => {
  it("accepts exactly what JSON.parse accepts, on hand-picked edge cases", () => {
    const cases = [
      "0",
      "-0",
      "01",
      "1.",
      ".5",
      "-",
      "1e",
      "1e+",
      "+1",
      "1E5",
      "NaN",
      "Infinity",
      "tru",
      "nul",
      "true1",
      '"\\x"',
      '"\\u12G4"',
      '"\\u12"',
      '"\\ud800"',
      '"\\uDBFF\\uDFFF"',
      '"tab\tinside"',
      '"nul\u0000inside"',
      '"unit\u001fseparator"',
      '"del\u007f"',
      '"open',
      '"\\"',
      '"\\\\"',
      "[1,]",
      "[,1]",
      "[1 2]",
      "{}",
      "{,}",
      '{"a":1,}',
      '{"a" 1}',
      '{"a":}',
      '{a:1}',
      "{'a':1}",
      '{"a":1}}',
      " \t\r\n[ ] ",
      "[\u000b]",
      "[\u00a0]",
      "",
      "[]]",
    ];
    for (const text of cases) expect(scans(text), JSON.stringify(text)).toBe(parses(text));
  });

  it("measures strings as Buffer.byteLength measures the decoded text", () => {
    const rand = seeded(7);
    const samples = ["", "abc", "é", "❤️", "😀", "\ud800", "\udc00", "\ud800\ud800", "\udc00\ud800", "\ud83d\ude00x", "\u0000\u001f", '"\\/', "\ufeff", "日本語"];
    for (let n = 0; n < 300; n++) {
      const s = samples[rand(samples.length)] + (samples[rand(samples.length)] as string);
      const token = jsonString(rand, s);
      const b = Buffer.from(token);
      expect(scanString(b, 0), token).toBe(b.length);
      expect(lastString.utf8Bytes, token).toBe(Buffer.byteLength(JSON.parse(token) as string, "utf8"));
      expect(lastString.escaped).toBe(token.includes("\\"));
    }
  });

  it("agrees with JSON.parse on random and corrupted values", () => {
    const rand = seeded(11);
    for (let n = 0; n < 3000; n++) {
      const valid = jsonValue(rand, 0, { maxDepth: 6 });
      expect(scans(valid), valid).toBe(true);
      const bad = corrupt(rand, valid);
      expect(scans(bad), bad).toBe(parses(bad));
    }
  });
});
