/** Convex document IDs (id_v6): VInt(table number) ++ 16-byte internal id ++ Fletcher-16 footer, base32. */
import { flatten } from "./values.js";
import type { SeededRandom } from "../random.js";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const DECODE = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));

export function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return flatten(out);
}

export function base32Decode(s: string): Uint8Array | undefined {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const c of s) {
    const v = DECODE.get(c);
    if (v === undefined) return undefined;
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((acc >> (bits - 8)) & 255);
      bits -= 8;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) return undefined; // non-canonical trailing bits
  return Uint8Array.from(out);
}

function fletcher16(bytes: Uint8Array, end: number): [number, number] {
  let a = 0;
  let b = 0;
  for (let i = 0; i < end; i++) {
    a = (a + (bytes[i] as number)) % 256;
    b = (b + a) % 256;
  }
  return [a, b];
}

export function encodeId(tableNumber: number, internal: Uint8Array): string {
  const vint: number[] = [];
  let n = tableNumber;
  do {
    const low = n & 0x7f;
    n >>>= 7;
    vint.push(n > 0 ? low | 0x80 : low);
  } while (n > 0);
  const bytes = new Uint8Array(vint.length + 16 + 2);
  bytes.set(vint, 0);
  bytes.set(internal.subarray(0, 16), vint.length);
  const [a, b] = fletcher16(bytes, bytes.length - 2);
  // Footer = checksum XOR version 0, little-endian.
  bytes[bytes.length - 2] = a;
  bytes[bytes.length - 1] = b;
  return base32Encode(bytes);
}

/** Decodes an ID to its table number, or undefined when it is not a valid v6 id. */
export function decodeId(id: string): { tableNumber: number; internal: Uint8Array } | undefined {
  if (id.length < 31 || id.length > 37) return undefined;
  const bytes = base32Decode(id);
  if (bytes === undefined || bytes.length < 19) return undefined;
  let n = 0;
  let i = 0;
  for (; i < 5; i++) {
    const b = bytes[i] as number;
    n += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) break;
  }
  i++;
  if (bytes.length !== i + 18) return undefined;
  const [a, b] = fletcher16(bytes, bytes.length - 2);
  if (bytes[bytes.length - 2] !== a || bytes[bytes.length - 1] !== b) return undefined;
  if (base32Encode(bytes) !== id) return undefined;
  return { tableNumber: n, internal: bytes.slice(i, i + 16) };
}

/** Internal ids and tablet ids come from the same seeded PRNG as the data generator. */
export { SeededRandom as Rng } from "../random.js";

/** Internal id: 14 random bytes then a 2-byte day number (document_id.rs). */
export function newInternalId(rng: SeededRandom, nowMs: number): Uint8Array {
  const out = new Uint8Array(16);
  out.set(rng.bytes(14), 0);
  const day = Math.floor(nowMs / 86_400_000) & 0xffff;
  out[14] = day >> 8;
  out[15] = day & 0xff;
  return out;
}

const ALPHABET_CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
/** Scratch for `newDocumentId`: VInt (≤ 5) + 16 + 2 bytes, and their base32 characters. */
const ID_BYTES = new Uint8Array(23);
const ID_CHARS = Buffer.alloc(37);

/**
 * `encodeId(tableNumber, newInternalId(rng, nowMs))` without the intermediate arrays and string
 * pieces: imports make one per document. Consumes the generator exactly as that does.
 */
export function newDocumentId(tableNumber: number, rng: SeededRandom, nowMs: number): string {
  const bytes = ID_BYTES;
  let n = 0;
  let t = tableNumber;
  do {
    const low = t & 0x7f;
    t >>>= 7;
    bytes[n++] = t > 0 ? low | 0x80 : low;
  } while (t > 0);
  for (let i = 0; i < 14; i++) bytes[n++] = Math.floor(rng.next() * 256);
  const day = Math.floor(nowMs / 86_400_000) & 0xffff;
  bytes[n++] = day >> 8;
  bytes[n++] = day & 0xff;
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    a = (a + (bytes[i] as number)) & 255;
    b = (b + a) & 255;
  }
  bytes[n++] = a;
  bytes[n++] = b;
  let len = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < n; i++) {
    acc = (acc << 8) | (bytes[i] as number);
    bits += 8;
    while (bits >= 5) {
      ID_CHARS[len++] = ALPHABET_CODES[(acc >> (bits - 5)) & 31] as number;
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) ID_CHARS[len++] = ALPHABET_CODES[(acc << (5 - bits)) & 31] as number;
  return ID_CHARS.toString("latin1", 0, len);
}
