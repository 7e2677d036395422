/**
 * Exact JSON for Convex's int64 nanosecond timestamps.
 *
 * `_ts`, `snapshot` and the `document_deltas` cursor are JSON integers above 2^53, which `JSON.parse`
 * rounds to a multiple of 256. This module parses them into `bigint` and writes `bigint` back as
 * exact integer digits, while keeping the native `JSON.parse` / `JSON.stringify` on the hot path.
 *
 * Parsing: a pre-pass rewrites every *object member* whose value is a bare integer outside the
 * safe range into a string tagged with a character that starts no string of the text, then
 * `JSON.parse` runs, then tagged strings become `bigint`. The pre-pass pattern requires `{` or `,`,
 * then a quote, then `":`, with no unescaped quote between: inside a JSON string every quote is
 * escaped, so the pattern can only match real structure (see the tests for the adversarial cases).
 */

const BIG_MEMBER = /([{,]\s*"(?:[^"\\]|\\.)*"\s*:\s*)(-?\d{16,})(?=\s*[,}])/g;

/** A JSON value in which unsafe integers are `bigint`. */
export type ExactJson = null | boolean | number | string | bigint | ExactJson[] | { [key: string]: ExactJson };

export class JsonSyntaxError extends Error {
  override readonly name = "JsonSyntaxError";
}

function isUnsafeInteger(digits: string): boolean {
  return !Number.isSafeInteger(Number(digits));
}

/**
 * Picks a one-byte tag that starts no string in the text, raw or escaped. An ASCII tag keeps the
 * rewritten text one-byte, which `JSON.parse` reads about twice as fast as a two-byte string.
 */
const TAG_CANDIDATES = "~^`|#@!*&%";
function pickTag(text: string): string | undefined {
  const hasEscapedStart = text.includes('"\\u');
  for (const ch of TAG_CANDIDATES) {
    if (text.includes(`"${ch}`)) continue;
    if (hasEscapedStart && text.toLowerCase().includes(`"\\u00${ch.charCodeAt(0).toString(16)}`)) continue;
    return ch;
  }
  return undefined;
}

/**
 * Parses JSON, turning integers outside ±(2^53−1) into `bigint`. Safe integers and floats stay
 * `number`. Works on any text; see `parseExactWith` for the faster form used on export pages.
 */
export function parseExact(text: string): unknown {
  // Fast exit: no run of 16 digits means no unsafe integer anywhere.
  if (!/\d{16}/.test(text)) return parseNative(text);
  // A bare integer is a whole text too (a member read out on its own, such as `snapshot`).
  const bare = /^\s*(-?\d+)\s*$/.exec(text)?.[1];
  if (bare !== undefined) return isUnsafeInteger(bare) ? BigInt(bare) : Number(bare);
  return parseTagged(text);
}

/** The exact digits of the known timestamp members, in text order, keyed by member name. */
export type KnownInt64s = ReadonlyMap<string, readonly bigint[]>;

/**
 * The hot-path parse for responses whose only big integers sit under the known timestamp keys
 * (`_ts`, `snapshot`, `cursor`, `delta_cursor`, `_ab_cdc_lsn`). It runs the native parse on the
 * original text, collects the exact digits of those members with one scan, and lets `place` put
 * them where the caller knows they belong. `place` returns false when the placement does not check
 * out (counts or rounded values differ); any other 16-digit run, or a false `place`, falls back to
 * the general parse, so the result is exact in every case.
 */
export function parseExactWith(text: string, place: (root: unknown, exact: KnownInt64s) => boolean): unknown {
  const exact = new Map<string, bigint[]>();
  // Candidates: a run of 16+ digits right after `:`, `[` or `,` (and optional blanks and a minus)
  // and right before `,`, `}` or `]`: the only places a bare integer token can stand. Anchoring on
  // the neighbours keeps this scan at a fraction of the native parse (a bare \d{16,} scan is not).
  const candidates = /[:[,]\s*(-?\d{16,})(?=\s*[,}\]])/g;
  for (let m = candidates.exec(text); m !== null; m = candidates.exec(text)) {
    const token = m[1] as string;
    const end = m.index + m[0].length;
    // 17+ digits are always beyond 2^53; only 16-digit tokens need the numeric check.
    if (token.length - (token.charCodeAt(0) === 45 ? 1 : 0) === 16 && !isUnsafeInteger(token)) continue;
    const key = knownMemberBefore(text, end - token.length);
    const after = text.charCodeAt(end);
    // Anything but a compact known member (possibly inside a string, possibly a real unknown
    // integer) takes the general, string-aware path.
    if (key === undefined || (after !== 44 /* , */ && after !== 125 /* } */)) return parseExact(text);
    const list = exact.get(key);
    if (list === undefined) exact.set(key, [BigInt(token)]);
    else list.push(BigInt(token));
  }
  const root = parseNative(text);
  if (exact.size === 0 || place(root, exact)) return root;
  return parseExact(text);
}

const KNOWN_KEYS = ["_ts", "snapshot", "cursor", "delta_cursor", "_ab_cdc_lsn"];

/** The known key whose member value starts at `at` (after an optional minus), preceded by { or ,. */
function knownMemberBefore(text: string, at: number): string | undefined {
  let end = at;
  if (text.charCodeAt(end - 1) === 45) end--;
  if (text.charCodeAt(end - 1) !== 58 /* : */ || text.charCodeAt(end - 2) !== 34 /* " */) return undefined;
  for (const key of KNOWN_KEYS) {
    const open = end - 3 - key.length;
    if (text.charCodeAt(open) !== 34) continue;
    const before = text.charCodeAt(open - 1);
    if ((before === 123 /* { */ || before === 44) /* , */ && text.startsWith(key, open + 1)) return key;
  }
  return undefined;
}

/**
 * Places exact values into `list[i][key]` for every element, checking that each replaced number
 * rounds to the same double. Returns how many were placed, or -1 when they do not line up.
 */
export function placeEach(list: unknown, key: string, exact: KnownInt64s): number {
  const values = exact.get(key) ?? [];
  if (!Array.isArray(list)) return values.length === 0 ? 0 : -1;
  let used = 0;
  for (const item of list) {
    if (item === null || typeof item !== "object") continue;
    const rec = item as Record<string, unknown>;
    const current = rec[key];
    if (typeof current !== "number" || Number.isSafeInteger(current)) continue;
    const next = values[used];
    if (next === undefined || Number(next) !== current) return -1;
    rec[key] = next;
    used++;
  }
  return used === values.length ? used : -1;
}

/** Places a single top-level exact value; see `placeEach`. */
export function placeOne(root: Record<string, unknown>, key: string, exact: KnownInt64s): boolean {
  const values = exact.get(key) ?? [];
  const current = root[key];
  if (typeof current !== "number" || Number.isSafeInteger(current)) return values.length === 0;
  const only = values[0];
  if (values.length !== 1 || only === undefined || Number(only) !== current) return false;
  root[key] = only;
  return true;
}

function parseTagged(text: string): unknown {
  const tag = pickTag(text);
  if (tag === undefined) return parseSlow(text);
  let count = 0;
  const rewrite = (whole: string, head: string, digits: string): string => {
    if (!isUnsafeInteger(digits)) return whole;
    count++;
    return `${head}"${tag}${digits}"`;
  };
  const rewritten = text.replace(BIG_MEMBER, rewrite);
  // Array elements need a string-aware scan: "[" or "," may sit inside a string value.
  if (/[[,]\s*-?\d{16,}\s*[,\]]/.test(rewritten)) return parseSlow(text);
  const root = parseNative(rewritten);
  return count === 0 ? root : untag(root, tag.charCodeAt(0));
}

function parseNative(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new JsonSyntaxError((err as Error).message);
  }
}

function untag(node: unknown, tagCode: number): unknown {
  if (typeof node === "string") return node.charCodeAt(0) === tagCode ? BigInt(node.slice(1)) : node;
  if (node === null || typeof node !== "object") return node;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = untag(node[i], tagCode);
    return node;
  }
  const obj = node as Record<string, unknown>;
  for (const key in obj) obj[key] = untag(obj[key], tagCode);
  return node;
}

/** A complete, string-aware parser for the rare texts the fast path cannot tag safely. */
function parseSlow(text: string): unknown {
  let tagged = "";
  let i = 0;
  let last = 0;
  const n = text.length;
  const bigs: string[] = [];
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) break;
        else i++;
      }
      i++;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      const start = i;
      i++;
      while (i < n && /[0-9.eE+-]/.test(text[i] as string)) i++;
      const token = text.slice(start, i);
      if (/^-?\d+$/.test(token) && isUnsafeInteger(token)) {
        tagged += `${text.slice(last, start)}{"\\u0000big":${bigs.length}}`;
        bigs.push(token);
        last = i;
      }
    } else i++;
  }
  if (bigs.length === 0) return parseNative(text);
  tagged += text.slice(last);
  return JSON.parse(tagged, (_key, value: unknown) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === "\u0000big") {
        return BigInt(bigs[(value as Record<string, number>)["\u0000big"] as number] as string);
      }
    }
    return value;
  });
}

/**
 * Serializes like `JSON.stringify`, writing `bigint` as exact integer digits. Top-level `bigint`
 * members (the usual `_ts`, `_ab_cdc_lsn`) are spliced in after a native stringify of the rest;
 * anything deeper takes a complete recursive path.
 */
export function stringifyExact(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (value !== null && typeof value === "object" && !Array.isArray(value) && !hasToJSON(value)) {
    const obj = value as Record<string, unknown>;
    let bigTail = "";
    let rest: Record<string, unknown> | undefined;
    for (const key in obj) {
      const v = obj[key];
      if (typeof v === "bigint") {
        // Set to undefined rather than deleted: the native stringify skips it, and the copy
        // keeps its fast shape (delete turns an object into a slow dictionary).
        if (rest === undefined) rest = { ...obj };
        rest[key] = undefined;
        bigTail += `,${JSON.stringify(key)}:${v.toString()}`;
      }
    }
    if (rest !== undefined) {
      const head = nativeOrSlow(rest);
      return head === "{}" ? `{${bigTail.slice(1)}}` : `${head.slice(0, -1)}${bigTail}}`;
    }
  }
  return nativeOrSlow(value);
}

function hasToJSON(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === "function";
}

function nativeOrSlow(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (err instanceof TypeError && /BigInt/i.test(err.message)) return stringifySlow(value);
    throw err;
  }
}

function stringifySlow(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (hasToJSON(value)) return stringifySlow((value as { toJSON: () => unknown }).toJSON());
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined || typeof v === "function" ? "null" : stringifySlow(v))).join(",")}]`;
  }
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    parts.push(`${JSON.stringify(k)}:${stringifySlow(v)}`);
  }
  return `{${parts.join(",")}}`;
}

/** Reads an int64 that may arrive as `bigint`, a safe `number`, or a decimal string. */
export function toInt64(value: unknown): bigint | undefined {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  return undefined;
}
