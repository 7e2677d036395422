/**
 * A dedup batch's primary keys, kept as a sorted array of 53-bit hashes of their texts.
 *
 * The pipeline only asks whether two batches of a table share a key. Keeping every key text for as
 * long as its batch is queued or in flight made each record leave a string in V8's old generation
 * (it outlived two scavenges), which grew the heap by tens of MB between full collections. Hashes
 * in one typed array per batch leave nothing behind per record. Equal texts hash equally, so a
 * shared key is never missed; two different keys with equal hashes (about 1 in 2^53 per pair) only
 * make a batch wait for the other, as if they shared a key.
 */

/** Sorted ascending; empty for a batch whose table has no keys (appends). */
export type KeyHashes = Float64Array;

export const NO_KEYS: KeyHashes = new Float64Array(0);

const TWO_32 = 2 ** 32;

/** Two independent 32-bit FNV-1a style hashes of the text's UTF-16 units, mixed, as one 53-bit integer. */
export function keyHash(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  // Final mixing, so that texts differing in their last units differ in every bit.
  return (mix(a) >>> 0) + (mix(b ^ text.length) & 0x1fffff) * TWO_32;
}

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Collects a batch's key hashes without an object per key. */
export class KeyHashList {
  private hashes = new Float64Array(256);
  private count = 0;

  add(text: string): void {
    if (this.count === this.hashes.length) {
      const grown = new Float64Array(this.hashes.length * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[this.count++] = keyHash(text);
  }

  /** The hashes so far, sorted (a copy sized to fit). */
  sorted(): KeyHashes {
    return this.hashes.slice(0, this.count).sort();
  }
}

/** The sorted hashes of some key texts (for tests and small callers). */
export function keyHashes(texts: Iterable<string>): KeyHashes {
  const list = new KeyHashList();
  for (const t of texts) list.add(t);
  return list.sorted();
}

/** Whether two sorted hash arrays have a value in common: one merge walk. */
export function sharesKey(x: KeyHashes, y: KeyHashes): boolean {
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const a = x[i] as number;
    const b = y[j] as number;
    if (a === b) return true;
    if (a < b) i++;
    else j++;
  }
  return false;
}
