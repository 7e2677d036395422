import { describe, expect, it } from "vitest";
import { ByteScanner } from "../src/json/byte-scanner.js";
import { JsonSyntaxError } from "../src/json/exact-json.js";

/** Whether the scanner accepts the whole text as one JSON value. */
function accepts(text: string): boolean {
  const s = new ByteScanner(Buffer.from(text, "utf8"));
  try {
    s.value();
    s.finish();
    return true;
  } catch (err) {
    if (err instanceof JsonSyntaxError) return false;
    throw err;
  }
}

function nativeAccepts(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const VALID = [
  "0",
  "-0",
  "12",
  "-12.5e-3",
  "1E+9",
  "1152921504606846977",
  '""',
  '"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00"',
  '"héllo ✓ 😀"',
  "true",
  "false",
  "null",
  "[]",
  " [ 1 , [ ] , { } ] ",
  '{"a":{"b":[1,{"c":null}]},"":"empty key"}',
  '\t\r\n{"x" :\n1}\n',
];

const INVALID = [
  "",
  " ",
  "01",
  "-",
  "1.",
  ".5",
  "1e",
  "1e+",
  "+1",
  "0x10",
  "NaN",
  "Infinity",
  '"abc',
  '"\\x"',
  '"\\u12"',
  '"\\u12g4"',
  '"tab\there"',
  '"line\nbreak"',
  "tru",
  "nul",
  "[1,]",
  "[1 2]",
  "{,}",
  '{"a"}',
  '{"a":1,}',
  '{"a":1 "b":2}',
  "{a:1}",
  "[1]]",
  "{}{}",
  "[",
  '{"a":[}',
];

describe("ByteScanner validates JSON exactly as JSON.parse does", () => {
  it.each(VALID)("accepts %j", (text) => {
    expect(nativeAccepts(text)).toBe(true);
    expect(accepts(text)).toBe(true);
  });

  it.each(INVALID)("rejects %j", (text) => {
    expect(nativeAccepts(text)).toBe(false);
    expect(accepts(text)).toBe(false);
  });

  it("agrees with JSON.parse on every truncation and one-byte corruption of a document", () => {
    const doc = JSON.stringify({ a: [1, -2.5e3, true, null], s: 'q"\\\n\u00e9', n: { m: {} }, big: 1 });
    let checked = 0;
    for (let cut = 0; cut < doc.length; cut++) {
      expect(accepts(doc.slice(0, cut)), doc.slice(0, cut)).toBe(nativeAccepts(doc.slice(0, cut)));
      checked++;
    }
    for (let i = 0; i < doc.length; i++) {
      for (const ch of ['"', "\\", "{", "}", "[", "]", ",", ":", "0", "-", "e", " ", "x"]) {
        const text = doc.slice(0, i) + ch + doc.slice(i + 1);
        expect(accepts(text), text).toBe(nativeAccepts(text));
        checked++;
      }
    }
    expect(checked).toBe(doc.length * 14);
  });

  it("reports where it stopped, and refuses absurd nesting instead of overflowing the stack", () => {
    const s = new ByteScanner(Buffer.from('{"a":[1,2'));
    expect(() => s.value()).toThrow(/at byte 9 of 9/);
    const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    expect(accepts(deep)).toBe(false);
  });

  it("hands object members to a callback with the key's span and whether it was escaped", () => {
    const text = '{"plain":1,"esc\\u0061ped":[2],"z":{"deep":3}}';
    const bytes = Buffer.from(text);
    const s = new ByteScanner(bytes);
    const seen: [string, boolean][] = [];
    const count = s.object(1, (ks, ke, escaped) => {
      seen.push([bytes.toString("utf8", ks, ke), escaped]);
      s.value(1);
    });
    expect(count).toBe(3);
    expect(seen).toEqual([
      ["plain", false],
      ["esc\\u0061ped", true],
      ["z", false],
    ]);
    s.finish();
  });
});
