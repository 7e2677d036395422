/**
 * Byte-level pieces of the import scanner (import-scan.ts), on the arena's bytes: UTF-8
 * well-formedness, whether a number token is already the server's Float64 text, and writing a
 * Float64's text without intermediate strings.
 */
import { writeLargeFloat } from "./large-float.js";
import { formatFloat } from "./values.js";

/** Thrown to abandon a scan: the parsed path then redoes the request, with its exact errors. */
export const BAIL = new Error("import scan abandoned");

/** Offset after the well-formed UTF-8 sequence at `i` (lead byte `c` ≥ 0x80); abandons the scan if it is not. */
export function utf8Next(buf: Uint8Array, i: number, c: number): number {
  const c1 = buf[i + 1]!;
  if (c < 0xc2) throw BAIL;
  if (c < 0xe0) {
    if ((c1 & 0xc0) !== 0x80) throw BAIL;
    return i + 2;
  }
  if (c < 0xf0) {
    // No overlong forms (E0 80..9F) and no surrogates (ED A0..BF).
    const bad = c === 0xe0 ? c1 < 0xa0 || c1 > 0xbf : c === 0xed ? c1 < 0x80 || c1 > 0x9f : (c1 & 0xc0) !== 0x80;
    if (bad || (buf[i + 2]! & 0xc0) !== 0x80) throw BAIL;
    return i + 3;
  }
  // No overlong forms (F0 80..8F) and nothing above U+10FFFF.
  const bad = c > 0xf4 || (c === 0xf0 ? c1 < 0x90 || c1 > 0xbf : c === 0xf4 ? c1 < 0x80 || c1 > 0x8f : (c1 & 0xc0) !== 0x80);
  if (bad || (buf[i + 2]! & 0xc0) !== 0x80 || (buf[i + 3]! & 0xc0) !== 0x80) throw BAIL;
  return i + 4;
}

/**
 * Whether a decimal token `int.frac` (no exponent) at [start, end) is already the server's text
 * for its double: at most 15 digits (so it round-trips, and no shorter decimal reads as the same
 * double) or 16 that pass `isShortest16`, no trailing zero (except a lone ".0" of a
 * non-negative-zero integer), and at least 1e-5 (printed without an exponent).
 */
export function isCanonicalDecimal(buf: Uint8Array, start: number, intEnd: number, end: number): boolean {
  const neg = buf[start] === 45;
  const intStart = neg ? start + 1 : start;
  const fracStart = intEnd + 1;
  const digits = intEnd - intStart + (end - fracStart);
  if (digits > 16) return false;
  const intZero = intEnd - intStart === 1 && buf[intStart] === 48;
  if (digits === 16 && (intZero || buf[end - 1] === 48 || !isShortest16(buf, intStart, intEnd, end))) return false;
  if (buf[end - 1] === 48) {
    // Only "n.0": an integer (formatted with ".0"), but not -0.
    return end - fracStart === 1 && !(neg && intZero);
  }
  if (intZero && end - fracStart > 5) {
    // Below 1e-5 the server writes an exponent: the first five fraction digits must not all be 0.
    for (let k = fracStart; k < fracStart + 5; k++) if (buf[k] !== 48) return true;
    return false;
  }
  return true;
}

const TWO_53 = 2 ** 53;
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * Whether the 16 digits `int.frac` at [intStart, end) are JS's shortest digits of their double
 * (timestamps in ms with three decimals have 16). With the digits as an integer m below 2^53 and
 * a power of ten exact, `m / 10^k` is the correctly rounded value (Clinger's fast path): when m - 1
 * and m + 1 read as other doubles, no other 16-digit decimal reads as this one, so none with fewer
 * digits does either (it would be one with trailing zeros).
 */
function isShortest16(buf: Uint8Array, intStart: number, intEnd: number, end: number): boolean {
  let m = 0;
  for (let i = intStart; i < end; i++) if (i !== intEnd) m = m * 10 + ((buf[i] as number) - 48);
  if (m >= TWO_53) return false;
  const scale = POW10[end - intEnd - 1] as number;
  const x = m / scale;
  return x !== (m - 1) / scale && x !== (m + 1) / scale && !Number.isInteger(x);
}

/**
 * The double nearest to the integer token [start, end) of at most 20 characters, as
 * `Number(text)` reads it: the digits are summed exactly in two halves (below 2^32, and a count of
 * 2^32 that stays below 2^53), so that `high * 2^32 + low` is one correctly rounded addition.
 */
export function integerValue(buf: Uint8Array, start: number, end: number): number {
  const neg = buf[start] === 45;
  let high = 0;
  let low = 0;
  for (let i = neg ? start + 1 : start; i < end; i++) {
    low = low * 10 + (buf[i]! - 48);
    const carry = Math.floor(low / 4294967296);
    low -= carry * 4294967296;
    high = high * 10 + carry;
  }
  const x = high * 4294967296 + low;
  return neg ? -x : x;
}

/** Longest `formatFloat` text (`-2.2250738585072014e-308`), rounded up. */
export const FLOAT_TEXT_MAX = 32;

/**
 * Writes `formatFloat(x)` (x finite and not 0) at `at` (room for FLOAT_TEXT_MAX bytes); returns
 * the offset after it. The common cases build one string (JS's own digits) instead of several.
 */
export function writeFloat(buf: Uint8Array, at: number, x: number): number {
  const abs = x < 0 ? -x : x;
  if (abs < 1e16 && (abs >= 1e-5 || Number.isInteger(x))) {
    at = writeAscii(buf, at, String(x));
    if (Number.isInteger(x)) {
      buf[at++] = 46;
      buf[at++] = 48;
    }
    return at;
  }
  if (abs < 1e16 || abs >= 1e21) return writeAscii(buf, at, formatFloat(x));
  return writeLargeFloat(buf, at, x);
}

/** Copies longer than this go to `copyWithin`; shorter ones are done four bytes at a time. */
const SHORT_COPY = 32;

/**
 * `buf.copyWithin(to, from, end)` for ranges that do not overlap (`view` is a DataView of `buf`).
 * Most copies of the import are a few bytes (a member's text, a value up to a renamed key):
 * `copyWithin` costs about 20 ns a call whatever the length, four-byte moves a few.
 */
export function copyBytes(buf: Uint8Array, view: DataView, to: number, from: number, end: number): void {
  const n = end - from;
  if (n > SHORT_COPY) buf.copyWithin(to, from, end);
  else if (n >= 4) {
    for (let i = 0; i < n - 4; i += 4) view.setInt32(to + i, view.getInt32(from + i, true), true);
    // The last four bytes, overlapping the words before.
    view.setInt32(to + n - 4, view.getInt32(end - 4, true), true);
  } else for (let i = 0; i < n; i++) buf[to + i] = buf[from + i]!;
}

/** Writes an ASCII string's characters at `at`; returns the offset after them. */
export function writeAscii(buf: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[at + i] = s.charCodeAt(i);
  return at + s.length;
}

export function isWs(c: number): boolean {
  // Tokens start above the space: one comparison for them.
  return c <= 32 && (c === 32 || c === 10 || c === 13 || c === 9);
}

/*
 * Token helpers. The scanned body is followed by a NUL byte, which no JSON token contains, so
 * every loop below stops at the body's end without a bounds check.
 */

/** Offset of the first non-whitespace byte from `at`. */
export function skipWs(buf: Uint8Array, at: number): number {
  while (isWs(buf[at]!)) at++;
  return at;
}

/** Offset after a colon at `at` (whitespace around it allowed). */
export function colon(buf: Uint8Array, at: number): number {
  at = skipWs(buf, at);
  if (buf[at] !== 58) throw BAIL;
  return skipWs(buf, at + 1);
}

/** Whether the bytes at `at` start with `token`. */
export function startsWith(buf: Uint8Array, at: number, token: Uint8Array): boolean {
  for (let i = 0; i < token.length; i++) if (buf[at + i] !== token[i]) return false;
  return true;
}

/** Offset after the string token at `start` (escapes allowed). */
export function stringEnd(buf: Uint8Array, start: number): number {
  let i = start + 1;
  for (;;) {
    const c = buf[i]!;
    if (c === 34) return i + 1;
    // Never step over the NUL after the body (a body ending in a backslash).
    if (c === 0 || (c === 92 && buf[i + 1] === 0)) throw BAIL;
    i += c === 92 ? 2 : 1;
  }
}

/** The value of the string token [start, end), decoded as the parsed path decodes it. */
export function decodeString(buf: Buffer, start: number, end: number): string {
  let v: unknown;
  try {
    // UTF-8 resynchronizes at the ASCII quotes: decoding the token alone decodes it as the body.
    v = JSON.parse(buf.toString("utf8", start, end));
  } catch {
    throw BAIL;
  }
  if (typeof v !== "string") throw BAIL;
  return v;
}

/** The string token at `start` as a key: its value, whether it had escapes, and the offset after it. */
export function readKey(buf: Buffer, start: number): { key: string; escaped: boolean; end: number } {
  let i = start + 1;
  let plain = true;
  for (;;) {
    const c = buf[i]!;
    if (c === 34) break;
    if (c === 92) {
      const end = stringEnd(buf, start);
      return { key: decodeString(buf, start, end), escaped: true, end };
    }
    if (c < 0x80) {
      if (c < 0x20) throw BAIL;
      i++;
    } else {
      plain = false;
      i = utf8Next(buf, i, c);
    }
  }
  return { key: buf.toString(plain ? "latin1" : "utf8", start + 1, i), escaped: false, end: i + 1 };
}

/** Offset after the object or array at `at` (its text is checked when it is used). */
export function skipContainer(buf: Uint8Array, at: number): number {
  let d = 0;
  do {
    const c = buf[at]!;
    if (c === 34) {
      at = stringEnd(buf, at);
      continue;
    }
    if (c === 123 || c === 91) d++;
    else if (c === 125 || c === 93) d--;
    else if (c === 0) throw BAIL;
    at++;
  } while (d > 0);
  return at;
}
