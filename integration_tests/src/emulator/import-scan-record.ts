/*
 * The import fast path, record by record: one pass over a message's `data` bytes writes the
 * record's stored text into the arena, without building strings or parsed objects. The body sits
 * at the arena's start and records are written after it, so every copy is within one buffer
 * (`copyBytes`: the ranges never overlap).
 *
 * Output is the input with substitutions: the text between substitutions is copied in one piece
 * when the next one comes (`flush`). Substituted are numbers that are not already the server's
 * Float64 text, strings with escapes (decoded and re-encoded as the server writes them), renamed
 * keys and whitespace (dropped). Raw UTF-8 in strings is copied as it is (the server writes
 * non-ASCII unescaped), after checking that it is well-formed. Objects whose keys are not in
 * sorted order are permuted in place once they end; the top level is laid out as the members
 * before `_creationTime` and those after `_id` (import-record.ts).
 *
 * Anything unusual (duplicate or colliding names, limits, syntax errors, invalid UTF-8) throws
 * BAIL, and the parsed path redoes the whole request with its exact errors.
 */
import type { TableKeys } from "./import-args.js";
import {
  BAIL,
  colon,
  copyBytes,
  decodeString,
  FLOAT_TEXT_MAX,
  integerValue,
  isCanonicalDecimal,
  isWs,
  readKey,
  startsWith,
  stringEnd,
  utf8Next,
  writeAscii,
  writeFloat,
} from "./import-bytes.js";
import { pathText, recordKey } from "./import-keys.js";
import { arenaBuffer, growArena, ImportRecord } from "./import-record.js";
import { addShape, EDGE_LIMIT, type Edge, type Shape, type ShapeEnd, shapeEnd, shapeRoot } from "./import-shapes.js";
import { MAX_ARRAY_LEN, MAX_OBJECT_FIELDS, MAX_VALUE_NESTING } from "./limits.js";
import { sanitizeFieldNameCached } from "./names.js";
import { encodeValue } from "./values.js";

/** The arena: the body (followed by a NUL, see import-bytes.ts), then the records written so far. */
let W: Buffer = arenaBuffer();
/** The arena read four bytes at a time (little-endian), where plain text is only checked for its end. */
let W4 = new DataView(W.buffer, W.byteOffset, W.length);
/** Read position in the body. */
let pos = 0;
/** Write position in the arena. */
let o = 0;
/** The body before `mark` has been written out (or dropped); from `mark` to `pos` it is pending. */
let mark = 0;
/** Nesting of open containers (the data object is 1). */
let level = 0;
/** valueSize of the record's values so far, and the nesting of the value just scanned. */
let size = 0;
let depth = 0;
/** Nesting of the members of the object just scanned. */
let membersDepth = 0;
/** UTF-8 bytes written beyond the UTF-16 length of their text (the record's string length is bytes - extra). */
let extra = 0;
/** The record has non-ASCII bytes; may have -0 or ±Infinity; has a non-null CDC deleted flag. */
let high = false;
let special = false;
let deleted = false;

function useArena(buf: Buffer): void {
  W = buf;
  W4 = new DataView(buf.buffer, buf.byteOffset, buf.length);
}

/** Makes room to write `n` bytes at `o`. */
function room(n: number): void {
  if (o + n > W.length) useArena(growArena(o + n, o));
}

/** Writes out the pending body text up to `to`. */
function flush(to: number): void {
  const n = to - mark;
  if (n > 0) {
    room(n);
    copyBytes(W, W4, o, mark, to);
    o += n;
  }
  mark = to;
}

/** Skips whitespace inside a record: the text before it is written out and the whitespace dropped. */
function ws(): void {
  if (!isWs(W[pos]!)) return;
  flush(pos);
  do pos++;
  while (isWs(W[pos]!));
  mark = pos;
}

/** After a member or item: true for `,` (and skips the whitespace after it), false for `close`. */
function nextOrClose(close: number): boolean {
  ws();
  const c = W[pos++];
  if (c === 44) {
    ws();
    return true;
  }
  if (c === close) return false;
  throw BAIL;
}

/**
 * Whether any of the four bytes of `w` ends or escapes a string, is a control character (or the
 * NUL after the body) or is not ASCII: bitwise tests for a zero byte (of `w` xor the quote or the
 * backslash), a byte below 0x20 and a high bit.
 */
function special4(w: number): boolean {
  const q = w ^ 0x22222222;
  const b = w ^ 0x5c5c5c5c;
  return ((((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b) | ((w - 0x20202020) & ~w) | w) & 0x80808080) !== 0;
}

/** Scans the string value at `pos`, copied as it is unless it has escapes. */
function scanString(): void {
  const start = pos;
  let i = pos + 1;
  for (;;) {
    // Plain ASCII four bytes at a time (the arena has room after the body's NUL to read past it).
    while (!special4(W4.getInt32(i, true))) i += 4;
    const c = W[i]!;
    if (c === 34) break;
    if (c === 92) {
      scanEscaped(start);
      return;
    }
    if (c < 0x80) {
      if (c < 0x20) throw BAIL; // a control character, or the NUL after the body
      i++;
    } else {
      high = true;
      const next = utf8Next(W, i, c);
      // 2 and 3 bytes are one UTF-16 unit, 4 bytes two.
      extra += next - i === 4 ? 2 : next - i - 1;
      i = next;
    }
  }
  pos = i + 1;
  // Its UTF-8 length plus 2: the token's length.
  size += pos - start;
}

function scanEscaped(start: number): void {
  const end = stringEnd(W, start);
  const v = decodeString(W, start, end);
  const text = JSON.stringify(v);
  const n = Buffer.byteLength(text);
  flush(start);
  room(n);
  W.write(text, o, "utf8");
  if (n !== text.length) high = true;
  extra += n - text.length;
  o += n;
  mark = pos = end;
  size += Buffer.byteLength(v) + 2;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Scans a JSON number; unless `drop`, its stored Float64 text replaces it where it differs. */
function scanNumber(drop: boolean): void {
  const start = pos;
  let i = pos;
  let c = W[i]!;
  if (c === 45) c = W[++i]!;
  if (c === 48) c = W[++i]!;
  else if (c >= 49 && c <= 57) {
    do c = W[++i]!;
    while (isDigit(c));
  } else throw BAIL;
  const intEnd = i;
  let fraction = false;
  if (c === 46) {
    fraction = true;
    c = W[++i]!;
    if (!isDigit(c)) throw BAIL;
    do c = W[++i]!;
    while (isDigit(c));
  }
  let exponent = false;
  if (c === 101 || c === 69) {
    exponent = true;
    c = W[++i]!;
    if (c === 43 || c === 45) c = W[++i]!;
    if (!isDigit(c)) throw BAIL;
    do c = W[++i]!;
    while (isDigit(c));
  }
  pos = i;
  if (drop) return;
  size += 9;
  if (!exponent) {
    if (fraction) {
      if (isCanonicalDecimal(W, start, intEnd, i)) return;
    } else if (i - start <= 15 && !(W[start] === 45 && W[start + 1] === 48)) {
      // An integer below 10^15 (not -0): exact as a double, formatted as its digits plus ".0".
      flush(i);
      room(2);
      W[o++] = 46;
      W[o++] = 48;
      return;
    }
  }
  const x = !fraction && !exponent && i - start <= 20 ? integerValue(W, start, i) : Number(W.toString("latin1", start, i));
  flush(start);
  mark = i;
  if (x !== 0 && Number.isFinite(x)) {
    room(FLOAT_TEXT_MAX);
    o = writeFloat(W, o, x);
    return;
  }
  // -0 and ±Infinity are stored as `{"$float":…}`.
  const text = x === 0 && !Object.is(x, -0) ? "0.0" : encodeValue(x, "convex_encoded_json");
  if (text !== "0.0") special = true;
  room(text.length);
  o = writeAscii(W, o, text);
}

const TRUE = Buffer.from("true");
const FALSE = Buffer.from("false");
const NULL = Buffer.from("null");

function literal(word: Uint8Array): void {
  if (!startsWith(W, pos, word)) throw BAIL;
  pos += word.length;
  size += 1;
}

/** Scans the value at `pos` (sets `depth`, adds to `size`). */
function scanValue(): void {
  depth = 0;
  switch (W[pos]) {
    case 34:
      scanString();
      break;
    case 123:
      scanObject();
      break;
    case 91:
      scanArray();
      break;
    case 116:
      literal(TRUE);
      break;
    case 102:
      literal(FALSE);
      break;
    case 110:
      literal(NULL);
      break;
    default:
      scanNumber(false);
  }
}

function scanArray(): void {
  if (++level > MAX_VALUE_NESTING) throw BAIL;
  pos++;
  size += 2;
  ws();
  let n = 0;
  let max = 0;
  if (W[pos] === 93) pos++;
  else {
    do {
      scanValue();
      n++;
      if (depth > max) max = depth;
    } while (nextOrClose(93));
  }
  if (n > MAX_ARRAY_LEN) throw BAIL;
  level--;
  depth = max + 1;
}

/**
 * Member spans per nesting level (one object is open per level at a time): the arena offsets
 * where member k starts and ends, at [2k] and [2k + 1].
 */
const spans: Int32Array[] = [];

function spansAt(l: number): Int32Array {
  let a = spans[l];
  if (a === undefined) {
    a = new Int32Array(2 * MAX_OBJECT_FIELDS);
    spans[l] = a;
  }
  return a;
}

/** Whether the key token at `pos` is edge `e`'s. */
function isToken(e: Edge): boolean {
  const t = e.token;
  const words = e.words;
  const last = words.length - 1;
  if (last < 0) {
    for (let i = 1; i < t.length; i++) if (W[pos + i] !== t[i]) return false;
    return true;
  }
  for (let j = 0; j < last; j++) if (W4.getInt32(pos + 4 * j, true) !== words[j]) return false;
  return W4.getInt32(pos + t.length - 4, true) === words[last];
}

/** Consumes the key token at `pos`: the shape after it. */
function nextShape(node: Shape): Shape {
  const edges = node.edges;
  for (let k = 0; k < edges.length; k++) {
    const e = edges[k]!;
    const t = e.token;
    if (isToken(e)) {
      pos += t.length;
      if (k > 0) {
        // Most recently used first: records of one stream repeat one path through the tree.
        edges[k] = edges[0]!;
        edges[0] = e;
      }
      return e.next;
    }
  }
  if (node.names.length >= MAX_OBJECT_FIELDS) throw BAIL;
  const start = pos;
  const { key, escaped, end } = readKey(W, pos);
  pos = end;
  let name: string;
  try {
    name = sanitizeFieldNameCached(key);
  } catch {
    throw BAIL;
  }
  // The raw token identifies the key: equal tokens decode to equal keys. (A copy: the arena is reused.)
  const token = edges.length < EDGE_LIMIT ? new Uint8Array(W.subarray(start, pos)) : new Uint8Array(0);
  return addShape(node, token, key, name, escaped);
}

/** Writes `node`'s `"name":` at `at` (room made); returns the offset after it. */
function writePrefix(node: Shape, at: number): number {
  const words = node.prefixWords;
  const n = node.prefix.length;
  const last = words.length - 1;
  // Four bytes at a time: `set` from another array costs more than the few moves.
  if (last < 0) W.set(node.prefix, at);
  else {
    for (let j = 0; j < last; j++) W4.setInt32(at + 4 * j, words[j]!, true);
    W4.setInt32(at + n - 4, words[last]!, true);
  }
  return at + n;
}

/**
 * Scans an object's members (after its `{`), recording their spans at this level; at the top
 * level CDC members are left out of the size and nesting. Returns the object's shape.
 */
function scanMembers(top: boolean): Shape {
  const sp = spansAt(level);
  ws();
  let node = shapeRoot();
  let max = 0;
  if (W[pos] === 125) pos++;
  else {
    do {
      if (W[pos] !== 34) throw BAIL;
      const keyStart = pos;
      const start = o + (pos - mark);
      node = nextShape(node);
      if (top && node.cdc) {
        // A top-level CDC member is dropped: checked, not written or counted (its span is never read).
        flush(keyStart);
        const out = o;
        pos = colon(W, pos);
        const before = size;
        const beforeExtra = extra;
        const beforeHigh = high;
        const beforeSpecial = special;
        const c = W[pos]!;
        if (node.deletedAt) deleted = c !== 110; // anything but null
        if (c === 45 || isDigit(c)) scanNumber(true);
        else scanValue();
        size = before;
        extra = beforeExtra;
        // Exact for the kept text: an ASCII document is decoded with the request's one-byte strings.
        high = beforeHigh;
        special = beforeSpecial;
        o = out;
        mark = pos;
        continue;
      }
      if (node.verbatim && W[pos] === 58) {
        pos++;
        ws();
      } else {
        // A renamed key (or space before the colon): its `"name":` replaces the key.
        flush(keyStart);
        room(node.prefix.length);
        o = writePrefix(node, o);
        pos = colon(W, pos);
        mark = pos;
      }
      const k = node.names.length - 1;
      sp[2 * k] = start;
      scanValue();
      size += node.memberSize;
      if (depth > max) max = depth;
      sp[2 * k + 1] = o + (pos - mark);
    } while (nextOrClose(125));
  }
  membersDepth = max;
  return node;
}

function endOf(node: Shape): ShapeEnd {
  const end = shapeEnd(node);
  if (end === null) throw BAIL;
  return end;
}

function scanObject(): void {
  if (++level > MAX_VALUE_NESTING) throw BAIL;
  pos++;
  size += 2;
  const node = scanMembers(false);
  const end = endOf(node);
  if (end.runs !== null) {
    // Written in key order: put the members in sorted order (the `}` stays pending).
    flush(pos - 1);
    const sp = spansAt(level);
    const from = sp[0]!;
    const len = o - from;
    room(len);
    copyBytes(W, W4, o, from, o);
    const shift = o - from;
    copyRuns(sp, end.runs, shift, from, false);
  }
  level--;
  depth = membersDepth + 1;
}

/** Writes the members of `runs` (spans `sp`, read `shift` bytes further on) at `to`, comma-separated. */
function copyRuns(sp: Int32Array, runs: Int32Array, shift: number, to: number, leadingComma: boolean): number {
  for (let r = 0; r < runs.length; r += 2) {
    if (r > 0 || leadingComma) W[to++] = 44;
    const a = sp[2 * runs[r]!]! + shift;
    const b = sp[2 * runs[r + 1]! + 1]! + shift;
    copyBytes(W, W4, to, a, b);
    to += b - a;
  }
  return to;
}

/** Starts writing records at `out` in the arena (after the body). */
export function beginRecords(out: number): void {
  useArena(arenaBuffer());
  o = out;
  level = 0;
}

/** Where the last scanned data object ended. */
export function scannedTo(): number {
  return pos;
}

/** The data object at `at` (its `{`) as a record of `table`. */
export function scanRecord(at: number, table: string, keys: TableKeys): ImportRecord {
  pos = at;
  level = 1;
  pos++;
  // Nothing before the members is written: the record's text starts with them.
  mark = pos;
  size = 0;
  extra = 0;
  special = false;
  high = false;
  deleted = false;
  const membersAt = o;
  const node = scanMembers(true);
  level = 0;
  flush(pos - 1);
  const end = endOf(node);
  const sp = spansAt(1);
  // The members were written in key order; after them (and one spare byte), the record's layout.
  const membersEnd = o;
  room(o - membersAt + 3);
  const headAt = o + 1;
  let w = copyRuns(sp, end.head, 0, headAt, false);
  if (w > headAt) W[w++] = 44;
  const tailAt = w;
  o = end.tail.length === 0 ? tailAt : copyRuns(sp, end.tail, 0, tailAt, true);
  mark = pos;
  let pkKey: string | undefined;
  let pkMissing = -1;
  const pk = keys.pk;
  if (pk !== null && pk !== undefined) {
    pkKey = recordKey(W, node, end, sp, membersEnd, !high, pk);
    if (pkKey === undefined) pkMissing = pk.findIndex((path) => pathText(W, node, sp, path) === undefined);
  }
  let indexKey: string | undefined;
  const indexFields = keys.indexFields;
  if (indexFields !== undefined) indexKey = keys.same ? pkKey : recordKey(W, node, end, sp, membersEnd, !high, indexFields);
  const units = o - headAt - extra;
  return new ImportRecord(table, headAt, tailAt, o, units, size + 2, membersDepth + 1, deleted, special, undefined, pkKey, pkMissing, indexKey);
}

