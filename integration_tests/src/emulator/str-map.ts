/**
 * A string-keyed map with `Map`'s semantics for what the store uses (insertion-ordered iteration,
 * an overwrite keeps its place, a delete and re-insert moves to the end), built for tables of a
 * million documents. A `Map` of that size costs about a microsecond per insert here: each probe
 * dereferences the entries and key strings of its bucket chain, all scattered in memory. This
 * table probes a typed array of (hash, entry) pairs, so a probe touches one cache line and reads a
 * key only when its full hash matches.
 */

/** FNV-1a over the UTF-16 units; never 0 (0 marks an empty slot). */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 1;
}

const MIN_SLOTS = 16;

export class StrMap<V> {
  /** Entries in insertion order; a deleted entry leaves a hole (key undefined). */
  private keys: (string | undefined)[] = [];
  private vals: (V | undefined)[] = [];
  private holes = 0;
  /**
   * Open addressing with linear probing: slot s is `[2s]` the key's hash (0: empty) and `[2s + 1]`
   * its entry index + 1 (0: deleted, probing goes on past it).
   */
  private slots = new Int32Array(2 * MIN_SLOTS);
  private mask = MIN_SLOTS - 1;
  /** Slots taken, deleted ones included. */
  private used = 0;

  get size(): number {
    return this.keys.length - this.holes;
  }

  /** The slot holding `key` (hash `h`), or -1. */
  private find(key: string, h: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const sh = slots[2 * s] as number;
      if (sh === 0) return -1;
      const e = slots[2 * s + 1] as number;
      if (sh === h && e !== 0 && this.keys[e - 1] === key) return s;
    }
  }

  get(key: string): V | undefined {
    const s = this.find(key, hashOf(key));
    return s < 0 ? undefined : this.vals[(this.slots[2 * s + 1] as number) - 1];
  }

  has(key: string): boolean {
    return this.find(key, hashOf(key)) >= 0;
  }

  set(key: string, value: V): this {
    const h = hashOf(key);
    const s = this.find(key, h);
    if (s >= 0) {
      this.vals[(this.slots[2 * s + 1] as number) - 1] = value;
      return this;
    }
    if (2 * (this.used + 1) > this.mask + 1) this.rebuild();
    const slots = this.slots;
    const mask = this.mask;
    let t = h & mask;
    while (slots[2 * t] !== 0) t = (t + 1) & mask;
    this.keys.push(key);
    this.vals.push(value);
    slots[2 * t] = h;
    slots[2 * t + 1] = this.keys.length;
    this.used++;
    return this;
  }

  delete(key: string): boolean {
    const s = this.find(key, hashOf(key));
    if (s < 0) return false;
    const e = (this.slots[2 * s + 1] as number) - 1;
    this.slots[2 * s + 1] = 0;
    this.keys[e] = undefined;
    this.vals[e] = undefined;
    this.holes++;
    if (this.holes > MIN_SLOTS && 2 * this.holes > this.keys.length) this.rebuild();
    return true;
  }

  clear(): void {
    this.keys = [];
    this.vals = [];
    this.holes = 0;
    this.slots = new Int32Array(2 * MIN_SLOTS);
    this.mask = MIN_SLOTS - 1;
    this.used = 0;
  }

  /** Drops the holes and re-slots every entry, in a table at most half full after the next insert. */
  private rebuild(): void {
    // Without deletes, entry indexes stay and the slots' hashes are reused: no key is read.
    const reslot = this.holes === 0;
    if (!reslot) {
      const keys: (string | undefined)[] = [];
      const vals: (V | undefined)[] = [];
      for (let e = 0; e < this.keys.length; e++) {
        if (this.keys[e] === undefined) continue;
        keys.push(this.keys[e]);
        vals.push(this.vals[e]);
      }
      this.keys = keys;
      this.vals = vals;
      this.holes = 0;
    }
    let n = MIN_SLOTS;
    while (n < 2 * (this.keys.length + 1)) n *= 2;
    const old = this.slots;
    const slots = new Int32Array(2 * n);
    const mask = n - 1;
    const count = reslot ? old.length >> 1 : this.keys.length;
    for (let i = 0; i < count; i++) {
      const h = reslot ? (old[2 * i] as number) : hashOf(this.keys[i] as string);
      if (h === 0) continue;
      let t = h & mask;
      while (slots[2 * t] !== 0) t = (t + 1) & mask;
      slots[2 * t] = h;
      slots[2 * t + 1] = reslot ? (old[2 * i + 1] as number) : i + 1;
    }
    this.slots = slots;
    this.mask = mask;
    this.used = this.keys.length;
  }

  *entries(): IterableIterator<[string, V]> {
    for (let e = 0; e < this.keys.length; e++) {
      const k = this.keys[e];
      if (k !== undefined) yield [k, this.vals[e] as V];
    }
  }

  *values(): IterableIterator<V> {
    for (let e = 0; e < this.keys.length; e++) if (this.keys[e] !== undefined) yield this.vals[e] as V;
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }
}
