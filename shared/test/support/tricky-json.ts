/**
 * Random JSON texts with the cases byte scanners get wrong: escapes of every kind (surrogate
 * pairs, lone surrogates, escaped quotes, escaped key letters), whitespace everywhere, repeated
 * and renamed keys, numbers at the edge of a float, deep nesting; and corruptions of valid texts.
 */

export type Rand = (n: number) => number;

/** A small deterministic generator, so failures can be replayed. */
export function seeded(seed: number): Rand {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
}

const pick = <T>(rand: Rand, items: readonly T[]): T => items[rand(items.length)] as T;

const WS = ["", "", "", " ", "\t", "\n", "\r", "  "];

/** Strings as decoded values; `jsonString` writes them with assorted escapes. */
const STRINGS = ["", "x", "data", "é", "❤️", "日本", "\u0000", "\u001f", "\u007f", "\u2028", '"', "\\", "/", "\b\f\n\r\t", "\ud800", "\udc00", "\udc00\ud800", "😀", "\ufeffbom", "a".repeat(40)];

/** Keys that are kept, renamed, dropped at the top level, clashing, or equal once decoded. */
const KEYS = [
  "a",
  "b",
  "id",
  "_id",
  "source_id",
  "$x",
  "x",
  "_x",
  "source_x",
  "source_source_x",
  "source_source_source_x",
  "_ab_cdc_lsn",
  "_ab_cdc_deleted_at",
  "source_ab_cdc_x",
  "_ab_cdc",
  "",
  "é",
  "\ufeffk",
  "0",
  "10",
  "__proto__",
  "with space",
  'q"uote',
  "back\\slash",
  "new\nline",
  "meta",
  "region",
];

const NUMBERS = [
  "0",
  "-0",
  "7",
  "-1.5e3",
  "1E+2",
  "2e-5",
  "1e-999",
  "1e999",
  "-1e400",
  "1795448730663543211",
  "18446744073709551615",
  "0.1",
  "1".repeat(301),
  "9".repeat(309),
  `${"9".repeat(300)}.5`,
  "1.7976931348623157e308",
  "1.7976931348623159e308",
];

/** `s` as a JSON string token, with some characters escaped in one of the allowed ways. */
export function jsonString(rand: Rand, s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff && rand(2) === 0) {
      // A surrogate pair as it is: a 4-byte character in UTF-8.
      out += s.slice(i, i + 2);
      i++;
      continue;
    }
    const ch = s[i] as string;
    const must = ch === '"' || ch === "\\" || code < 0x20 || (code >= 0xd800 && code <= 0xdfff);
    if (must || rand(6) === 0) {
      const short: Record<string, string> = { '"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t" };
      const hex = code.toString(16).padStart(4, "0");
      out += short[ch] !== undefined && rand(2) === 0 ? short[ch] : `\\u${rand(2) === 0 ? hex : hex.toUpperCase()}`;
    } else out += ch;
  }
  return `${out}"`;
}

export interface GenOptions {
  /** How deep containers may go (beyond 16 Convex refuses). */
  maxDepth: number;
}

/** A random JSON value as text. */
export function jsonValue(rand: Rand, depth = 0, opts: GenOptions = { maxDepth: 5 }): string {
  const kind = rand(depth >= opts.maxDepth ? 4 : 7);
  switch (kind) {
    case 0:
      return jsonString(rand, pick(rand, STRINGS));
    case 1:
      return pick(rand, NUMBERS);
    case 2:
      return pick(rand, ["true", "false", "null"]);
    case 3:
      return jsonString(rand, `s${rand(100)}`);
    case 4: {
      const items = Array.from({ length: rand(4) }, () => `${pick(rand, WS)}${jsonValue(rand, depth + 1, opts)}${pick(rand, WS)}`);
      return `[${items.join(",")}]`;
    }
    default:
      return jsonObject(rand, depth, opts);
  }
}

/** A random JSON object as text; keys may repeat. */
export function jsonObject(rand: Rand, depth = 0, opts: GenOptions = { maxDepth: 5 }): string {
  const n = rand(6);
  const members: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = rand(4) === 0 ? `k${rand(5)}` : pick(rand, KEYS);
    // Keys are mostly written plainly: an escaped key sends the record to the general path.
    const token = rand(8) === 0 ? jsonString(rand, key) : JSON.stringify(key);
    members.push(`${pick(rand, WS)}${token}${pick(rand, WS)}:${pick(rand, WS)}${jsonValue(rand, depth + 1, opts)}${pick(rand, WS)}`);
  }
  return `{${members.join(",")}}`;
}

/** Objects nested `levels` deep: `{"n":{"n":…{"leaf":1}}}`. */
export function nested(levels: number): string {
  return `${'{"n":'.repeat(levels - 1)}{"leaf":1}${"}".repeat(levels - 1)}`;
}

const NOISE = ["{", "}", "[", "]", ",", ":", '"', "\\", " ", "\u0000", "\u0001", "\u001f", "\u007f", "0", "-", "e", ".", "a", "\\u12", "tru", "nul", "\t", "\u00e9"];

/** `text` with one random corruption (usually, but not always, no longer valid JSON). */
export function corrupt(rand: Rand, text: string): string {
  const at = rand(text.length + 1);
  switch (rand(3)) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + pick(rand, NOISE) + text.slice(at);
    default:
      return text.slice(0, at) + pick(rand, NOISE) + text.slice(at + 1);
  }
}
