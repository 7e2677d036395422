/**
 * A validating JSON scanner over UTF-8 bytes. It checks the grammar strictly (RFC 8259: strings,
 * escapes, numbers, literals, nesting) without building any value, so that a caller can find the
 * spans it needs in a large body and copy them out as bytes: no decode, no parse, no stringify,
 * and every digit of every number kept. UTF-8 validity is the caller's to check (`buffer.isUtf8`).
 */
import { JsonSyntaxError } from "./exact-json.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** The characters `"\/bfnrt` that may follow a backslash (u is handled apart). */
const SIMPLE_ESCAPE = new Uint8Array(128);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Deeper than any Convex value (the server caps nesting at 64); guards the recursion. */
const MAX_DEPTH = 1000;

export class ByteScanner {
  pos = 0;
  readonly end: number;

  constructor(readonly bytes: Uint8Array) {
    this.end = bytes.length;
  }

  fail(what: string): never {
    throw new JsonSyntaxError(`${what} at byte ${this.pos} of ${this.end}`);
  }

  /** Skips whitespace; returns the next byte, or -1 at the end. */
  next(): number {
    const b = this.bytes;
    let i = this.pos;
    while (i < this.end) {
      const c = b[i] as number;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
    this.pos = i;
    return i < this.end ? (b[i] as number) : -1;
  }

  /** Skips whitespace and consumes `c`, or fails. */
  expect(c: number, what: string): void {
    if (this.next() !== c) this.fail(`expected ${what}`);
    this.pos++;
  }

  /**
   * Scans a string starting at its opening quote; `pos` ends after the closing quote. Returns
   * whether it held an escape (then its raw bytes are not its value).
   */
  string(): boolean {
    const b = this.bytes;
    const end = this.end;
    let i = this.pos + 1;
    let escaped = false;
    for (;;) {
      if (i >= end) {
        this.pos = i;
        this.fail("unterminated string");
      }
      const c = b[i] as number;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        const e = i + 1 < end ? (b[i + 1] as number) : -1;
        if (e === 0x75) {
          if (i + 5 >= end || !isHex(b[i + 2] as number) || !isHex(b[i + 3] as number) || !isHex(b[i + 4] as number) || !isHex(b[i + 5] as number)) {
            this.pos = i;
            this.fail("bad \\u escape");
          }
          i += 6;
        } else if (e >= 0 && e < 128 && SIMPLE_ESCAPE[e] === 1) {
          i += 2;
        } else {
          this.pos = i;
          this.fail("bad escape");
        }
        continue;
      }
      if (c < 0x20) {
        this.pos = i;
        this.fail("control character in a string");
      }
      i++;
    }
    this.pos = i + 1;
    return escaped;
  }

  /** Scans a number (the JSON grammar exactly); `pos` ends after it. */
  number(): void {
    const b = this.bytes;
    const end = this.end;
    let i = this.pos;
    if (b[i] === 0x2d) i++;
    if (i < end && b[i] === 0x30) i++;
    else if (i < end && (b[i] as number) >= 0x31 && (b[i] as number) <= 0x39) {
      i++;
      while (i < end && isDigit(b[i] as number)) i++;
    } else {
      this.pos = i;
      this.fail("bad number");
    }
    if (i < end && b[i] === 0x2e) {
      i++;
      if (!(i < end && isDigit(b[i] as number))) {
        this.pos = i;
        this.fail("bad fraction");
      }
      while (i < end && isDigit(b[i] as number)) i++;
    }
    if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
      i++;
      if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
      if (!(i < end && isDigit(b[i] as number))) {
        this.pos = i;
        this.fail("bad exponent");
      }
      while (i < end && isDigit(b[i] as number)) i++;
    }
    this.pos = i;
  }

  private literal(word: string): void {
    const b = this.bytes;
    for (let k = 0; k < word.length; k++) {
      if (b[this.pos + k] !== word.charCodeAt(k)) this.fail("bad literal");
    }
    this.pos += word.length;
  }

  /** Scans any value after optional whitespace; `pos` ends after it. */
  value(depth = 0): void {
    const c = this.next();
    switch (c) {
      case QUOTE:
        this.string();
        return;
      case 0x7b:
        this.object(depth + 1);
        return;
      case 0x5b:
        this.array(depth + 1);
        return;
      case 0x74:
        this.literal("true");
        return;
      case 0x66:
        this.literal("false");
        return;
      case 0x6e:
        this.literal("null");
        return;
      default:
        if (c === 0x2d || isDigit(c)) this.number();
        else this.fail(c < 0 ? "unexpected end" : "unexpected character");
    }
  }

  /**
   * Scans an object starting at `{`, calling `member` (when given) with the key's span (inside
   * the quotes) and whether it was escaped; `member` must consume the value. `pos` ends after `}`.
   * Returns the number of members.
   */
  object(depth = 1, member?: (keyStart: number, keyEnd: number, escaped: boolean) => void): number {
    if (depth > MAX_DEPTH) this.fail("nesting too deep");
    this.pos++;
    let c = this.next();
    if (c === 0x7d) {
      this.pos++;
      return 0;
    }
    let count = 0;
    for (;;) {
      if (c !== QUOTE) this.fail("expected a member name");
      const keyStart = this.pos + 1;
      const escaped = this.string();
      const keyEnd = this.pos - 1;
      this.expect(0x3a, "':'");
      if (member === undefined) this.value(depth);
      else member(keyStart, keyEnd, escaped);
      count++;
      c = this.next();
      if (c === 0x2c) {
        this.pos++;
        c = this.next();
        continue;
      }
      if (c === 0x7d) {
        this.pos++;
        return count;
      }
      this.fail("expected ',' or '}'");
    }
  }

  /** Scans an array starting at `[`, calling `element` (when given) to consume each element. */
  array(depth = 1, element?: () => void): number {
    if (depth > MAX_DEPTH) this.fail("nesting too deep");
    this.pos++;
    let c = this.next();
    if (c === 0x5d) {
      this.pos++;
      return 0;
    }
    let count = 0;
    for (;;) {
      if (element === undefined) this.value(depth);
      else element();
      count++;
      c = this.next();
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (c === 0x5d) {
        this.pos++;
        return count;
      }
      this.fail("expected ',' or ']'");
    }
  }

  /** Fails unless only whitespace is left. */
  finish(): void {
    if (this.next() !== -1) this.fail("unexpected text after the value");
  }
}
