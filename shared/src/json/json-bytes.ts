/**
 * Strict JSON syntax over UTF-8 bytes: the grammar `JSON.parse` accepts, checked without building
 * any value. Each scanner takes the index where a token starts and returns the index just past
 * it, or `JSON_SCAN_FAIL` where `JSON.parse` would throw (or where the input is beyond what they handle, such
 * as very deep nesting); callers then take their general path, which parses and reports.
 *
 * The bytes must be valid UTF-8 (the line reader checks), so only ASCII needs looking at: every
 * byte of a multi-byte character is ≥ 0x80, which JSON allows anywhere inside a string. Reads past
 * the end give `undefined`, which matches no byte, so running off the end also fails.
 */

export const JSON_SCAN_FAIL = -1;

/** What the last `scanString` found; results live here so that scanning allocates nothing. */
export const lastString = {
  /** Size of the decoded string in UTF-8, as `Buffer.byteLength` counts it. */
  utf8Bytes: 0,
  /** Whether the string had escapes (its bytes are then not its text). */
  escaped: false,
};

/** Whether the last `scanNumber` read a number a 64-bit float can hold (JSON.parse gives Infinity otherwise). */
export const lastNumber = { finite: true };

/** Nesting that `skipValue` follows before giving up (JSON.parse itself has no such limit). */
const MAX_SKIP_DEPTH = 256;
/** Integers with at most this many digits and no exponent are below 1e300, so certainly finite. */
const SURELY_FINITE_LENGTH = 300;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export function skipWs(b: Uint8Array, i: number): number {
  let c = b[i] as number;
  // Bytes above the space are never whitespace: the usual case costs one comparison.
  while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) c = b[++i] as number;
  return i;
}

function hexDigit(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/** The code unit of the 4 hex digits at `i`, or -1. */
function hex4(b: Uint8Array, i: number): number {
  const a = hexDigit(b[i]);
  const c = hexDigit(b[i + 1]);
  const d = hexDigit(b[i + 2]);
  const e = hexDigit(b[i + 3]);
  return (a | c | d | e) < 0 ? -1 : (a << 12) | (c << 8) | (d << 4) | e;
}

/** UTF-8 size of one code unit; a lone surrogate counts 3, as it becomes U+FFFD. */
function codeUnitBytes(cu: number): number {
  return cu < 0x80 ? 1 : cu < 0x800 ? 2 : 3;
}

/** Bytes that end a run of plain string content: a quote, a backslash, or a control character. */
const STRING_STOP = new Uint8Array(256);
STRING_STOP.fill(1, 0, 0x20);
STRING_STOP[QUOTE] = 1;
STRING_STOP[BACKSLASH] = 1;

/** The string token whose opening quote is at `i`; sets `lastString`. */
export function scanString(b: Uint8Array, i: number): number {
  const n = b.length;
  const start = ++i;
  while (i < n && STRING_STOP[b[i] as number] === 0) i++;
  if (b[i] === QUOTE) {
    lastString.utf8Bytes = i - start;
    lastString.escaped = false;
    return i + 1;
  }
  return scanEscapedString(b, start, i);
}

/** The rest of a string from `i`, where the plain run starting at `start` stopped. */
function scanEscapedString(b: Uint8Array, start: number, i: number): number {
  const n = b.length;
  // Decoded UTF-8 size minus the token's raw size, from escapes.
  let adjust = 0;
  for (;;) {
    while (i < n && STRING_STOP[b[i] as number] === 0) i++;
    if (i >= n) return JSON_SCAN_FAIL;
    const c = b[i] as number;
    if (c === QUOTE) break;
    if (c !== BACKSLASH) return JSON_SCAN_FAIL;
    const e = b[i + 1];
    if (e === 0x75 /* u */) {
      const cu = hex4(b, i + 2);
      if (cu < 0) return JSON_SCAN_FAIL;
      if (cu >= 0xd800 && cu <= 0xdbff && b[i + 6] === BACKSLASH && b[i + 7] === 0x75) {
        const low = hex4(b, i + 8);
        if (low >= 0xdc00 && low <= 0xdfff) {
          // A surrogate pair: one 4-byte character from 12 bytes of escapes.
          adjust -= 8;
          i += 12;
          continue;
        }
      }
      adjust += codeUnitBytes(cu) - 6;
      i += 6;
      continue;
    }
    // \" \\ \/ \b \f \n \r \t
    if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
      adjust -= 1;
      i += 2;
      continue;
    }
    return JSON_SCAN_FAIL;
  }
  lastString.utf8Bytes = i - start + adjust;
  lastString.escaped = true;
  return i + 1;
}

/** Index past the digits from `i`. */
function skipDigits(b: Uint8Array, i: number): number {
  let c = b[i] as number;
  while (c >= 0x30 && c <= 0x39) c = b[++i] as number;
  return i;
}

/** The number token at `i`; sets `lastNumber`. */
export function scanNumber(b: Uint8Array, i: number): number {
  const start = i;
  if (b[i] === 0x2d /* - */) i++;
  const first = b[i] as number;
  if (first === 0x30) i++;
  else if (first >= 0x31 && first <= 0x39) i = skipDigits(b, i + 1);
  else return JSON_SCAN_FAIL;
  let plain = true;
  if (b[i] === 0x2e /* . */) {
    const end = skipDigits(b, i + 1);
    if (end === i + 1) return JSON_SCAN_FAIL;
    i = end;
  }
  const e = b[i];
  if (e === 0x65 || e === 0x45) {
    plain = false;
    const sign = b[++i];
    if (sign === 0x2b || sign === 0x2d) i++;
    const end = skipDigits(b, i);
    if (end === i) return JSON_SCAN_FAIL;
    i = end;
  }
  lastNumber.finite = (plain && i - start <= SURELY_FINITE_LENGTH) || Number.isFinite(Number(ascii(b, start, i)));
  return i;
}

function ascii(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i] as number);
  return s;
}

/** Whether `b` holds `word`'s bytes at `i`. */
export function bytesAt(b: Uint8Array, i: number, word: Uint8Array): boolean {
  for (let j = 0; j < word.length; j++) if (b[i + j] !== word[j]) return false;
  return true;
}

/** Whether `b[start, end)` is exactly `word`'s bytes (a member name, a stream name). */
export function spanIs(b: Uint8Array, start: number, end: number, word: Uint8Array): boolean {
  return end - start === word.length && bytesAt(b, start, word);
}

const TRUE = Uint8Array.of(0x74, 0x72, 0x75, 0x65);
const FALSE = Uint8Array.of(0x66, 0x61, 0x6c, 0x73, 0x65);
const NULL = Uint8Array.of(0x6e, 0x75, 0x6c, 0x6c);

/** The `true`, `false` or `null` at `i`. */
export function scanLiteral(b: Uint8Array, i: number): number {
  const c = b[i];
  const word = c === 0x74 ? TRUE : c === 0x66 ? FALSE : c === 0x6e ? NULL : undefined;
  return word !== undefined && bytesAt(b, i, word) ? i + word.length : JSON_SCAN_FAIL;
}

/** Any JSON value at `i`, checked for syntax only. */
export function skipValue(b: Uint8Array, i: number, depth = 0): number {
  const c = b[i];
  if (c === QUOTE) return scanString(b, i);
  if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
    if (depth >= MAX_SKIP_DEPTH) return JSON_SCAN_FAIL;
    const object = c === 0x7b;
    const close = object ? 0x7d : 0x5d;
    i = skipWs(b, i + 1);
    if (b[i] === close) return i + 1;
    for (;;) {
      if (object) {
        if (b[i] !== QUOTE) return JSON_SCAN_FAIL;
        i = skipWs(b, scanString(b, i));
        if (i < 0 || b[i] !== 0x3a /* : */) return JSON_SCAN_FAIL;
        i = skipWs(b, i + 1);
      }
      i = skipValue(b, i, depth + 1);
      if (i < 0) return JSON_SCAN_FAIL;
      i = skipWs(b, i);
      const d = b[i];
      if (d === 0x2c /* , */) i = skipWs(b, i + 1);
      else if (d === close) return i + 1;
      else return JSON_SCAN_FAIL;
    }
  }
  if (c === 0x74 || c === 0x66 || c === 0x6e) return scanLiteral(b, i);
  return scanNumber(b, i);
}
