/**
 * The in-memory database: tablets, multi-version documents, the document log and commit
 * timestamps. Documents are kept only as the UTF-8 bytes of their `convex_encoded_json` field text
 * (plus the clean `json` text when it differs), so a page is copied bytes and a million documents fit.
 */
import type { Clock } from "./clock.js";
import { decodeFields } from "./codec.js";
import { newDocumentId, type Rng } from "./ids.js";
import { StrMap } from "./str-map.js";
import { textChunks } from "./text-chunks.js";
import { type ConvexObject, encodeFields, encodeValue, flatten, type Value } from "./values.js";

export { flatten };

/**
 * The start of every exported value, up to the document's own fields: `{"_component":…,"_table":…,
 * "_ts":…` and, in document_deltas, `"_deleted":…`. No closing brace.
 */
export function valueHead(tablet: Tablet, ts: bigint, deleted?: boolean): string {
  return `{${tablet.prefix},"_ts":${tsText(ts)}${deleted === undefined ? "" : `,"_deleted":${deleted}`}`;
}

// The documents of one commit share its timestamp, and pages list them together: the digits of
// the last timestamp are kept rather than converting the bigint for every document.
let lastTs = -1n;
let lastTsText = "";
function tsText(ts: bigint): string {
  if (ts !== lastTs) {
    lastTs = ts;
    lastTsText = String(ts);
  }
  return lastTsText;
}

/**
 * One revision of a document, also the document log's entry for its commit (one object per write
 * instead of two). Its stored text is the UTF-8 `buf[start, end)` in the text chunks
 * (text-chunks.ts); `buf` is null for a deletion.
 */
export class Rev {
  constructor(
    readonly ts: bigint,
    public buf: Buffer | null,
    public start: number,
    public end: number,
    /** The clean `json` field text when it differs from the stored text. */
    public clean: string | undefined,
    readonly prev: Rev | undefined,
    readonly tablet: Tablet,
    readonly id: string,
  ) {}

  /** The stored `convex_encoded_json` field text, decoded now (null for a deletion). */
  get text(): string | null {
    return this.buf === null ? null : this.buf.toString("utf8", this.start, this.end);
  }
}

export interface PkIndex {
  fields: string[][];
  state: "backfilling" | "enabled";
  pollsLeft: number;
  readyAtMs: number;
  /** Index key → the id holding it, or a set when several do (append mode allows that). */
  entries: StrMap<string | Set<string>>;
}

/** The ids holding index key `k`. */
export function indexIds(index: PkIndex, k: string): string[] {
  const e = index.entries.get(k);
  return e === undefined ? [] : typeof e === "string" ? [e] : [...e];
}

function indexAdd(index: PkIndex, k: string, id: string): void {
  const e = index.entries.get(k);
  if (e === undefined) index.entries.set(k, id);
  else if (typeof e === "string") {
    if (e !== id) index.entries.set(k, new Set([e, id]));
  } else e.add(id);
}

function indexRemove(index: PkIndex, k: string, id: string): void {
  const e = index.entries.get(k);
  if (e === id) index.entries.delete(k);
  else if (typeof e === "object") {
    e.delete(id);
    if (e.size === 1) index.entries.set(k, e.values().next().value as string);
    else if (e.size === 0) index.entries.delete(k);
  }
}

export class Tablet {
  readonly docs = new StrMap<Rev>();
  private ids: string[] = [];
  private sorted = true;
  deletedTs: bigint | undefined;
  pkIndex: PkIndex | undefined;
  /** Bumped on every write; caches (shapes) key on it. */
  version = 0;
  /**
   * No revision of this tablet is newer than this (an upper bound: a rollback leaves it). A read
   * at or after it sees every document's head, with no walk down the revisions.
   */
  newestTs = 0n;
  /** `"_component":"…","_table":"…"` — the fixed start of every exported value. */
  readonly prefix: string;

  constructor(
    readonly tabletId: string,
    readonly tabletHex: string,
    readonly tableNumber: number,
    readonly name: string,
    readonly component: string,
    readonly createdTs: bigint,
    readonly system: boolean,
  ) {
    this.prefix = `"_component":${JSON.stringify(component)},"_table":${JSON.stringify(name)}`;
  }

  addId(id: string): void {
    const last = this.ids[this.ids.length - 1];
    if (last !== undefined && last > id) this.sorted = false;
    this.ids.push(id);
  }

  /** Ids in internal-id order (base32 preserves byte order within one table). */
  sortedIds(): string[] {
    if (!this.sorted) {
      this.ids.sort();
      this.sorted = true;
    }
    return this.ids;
  }

  removeIds(ids: ReadonlySet<string>): void {
    this.ids = this.ids.filter((id) => !ids.has(id));
  }

  existsAt(ts: bigint): boolean {
    return this.createdTs <= ts && (this.deletedTs === undefined || this.deletedTs > ts);
  }
}

/** A document-log entry: the revision a commit wrote (its tablet, id and ts). */
export type LogEntry = Rev;

export function revAt(head: Rev | undefined, ts: bigint): Rev | undefined {
  let r = head;
  while (r !== undefined && r.ts > ts) r = r.prev;
  return r;
}

export function revDoc(rev: Rev): ConvexObject | null {
  const text = rev.text;
  return text === null ? null : decodeFields(text);
}

const CREATION_TIME_MEMBER = Buffer.from('"_creationTime":');

const TWO_53 = 2 ** 53;
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The number `[-]digits[.digits]` ending with a `,` at `at` in `buf`, or NaN for anything else. Its
 * digits as an integer m below 2^53 and a power of ten are exact, so `m / 10^k` is the correctly
 * rounded value, as `Number(text)` reads it (Clinger's fast path).
 */
function plainNumberAt(buf: Buffer, at: number, end: number): number {
  const neg = buf[at] === 45;
  let i = neg ? at + 1 : at;
  let m = 0;
  let dot = -1;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c >= 48 && c <= 57) m = m * 10 + (c - 48);
    else if (c === 46 && dot < 0) dot = i;
    else break;
  }
  const digits = i - (neg ? at + 1 : at) - (dot < 0 ? 0 : 1);
  if (i >= end || buf[i] !== 44 || digits === 0 || dot === i - 1 || m >= TWO_53 || (dot < 0 ? 0 : i - dot - 1) > 22) return Number.NaN;
  const x = dot < 0 ? m : m / (POW10[i - dot - 1] as number);
  return neg ? -x : x;
}

/** `_creationTime` of a stored document (not a deletion), read from its bytes without decoding the whole of it. */
export function storedCreationTime(rev: Rev): number {
  // Most documents have no field sorting before it: their text starts with the member.
  const buf = rev.buf as Buffer;
  const first = rev.start + CREATION_TIME_MEMBER.length;
  let k = 0;
  if (first < rev.end) while (k < CREATION_TIME_MEMBER.length && buf[rev.start + k] === CREATION_TIME_MEMBER[k]) k++;
  if (k === CREATION_TIME_MEMBER.length) {
    const n = plainNumberAt(buf, first, rev.end);
    if (!Number.isNaN(n)) return n;
  }
  const doc = buf.subarray(rev.start, rev.end);
  const at = doc.indexOf(CREATION_TIME_MEMBER);
  // Only the top-level member can match, unless a nested key ends the same way: then decode.
  if (at >= 0 && doc.indexOf(CREATION_TIME_MEMBER, at + 1) < 0 && (at === 0 || doc[at - 1] === 44)) {
    const start = at + CREATION_TIME_MEMBER.length;
    const end = doc.indexOf(44, start);
    const n = Number(doc.toString("latin1", start, end < 0 ? undefined : end));
    if (!Number.isNaN(n)) return n;
  }
  return decodeFields(rev.text as string)._creationTime as number;
}

const key = (component: string, name: string) => `${component}\u0000${name}`;

export class StoreError extends Error {}

export class Store {
  readonly tablets: Tablet[] = [];
  private readonly active = new Map<string, Tablet>();
  private readonly byNumber = new Map<number, Tablet>();
  readonly log: LogEntry[] = [];
  private nextTableNumber = 10001;
  private nextSystemNumber = 100;

  constructor(
    readonly clock: Clock,
    readonly rng: Rng,
  ) {}

  getTable(name: string, component = ""): Tablet | undefined {
    return this.active.get(key(component, name));
  }

  activeTablets(): Tablet[] {
    return [...this.active.values()];
  }

  tabletForId(id: string, tableNumber: number): Tablet | undefined {
    const t = this.byNumber.get(tableNumber);
    return t?.docs.has(id) ? t : undefined;
  }

  tableByNumber(n: number): Tablet | undefined {
    return this.byNumber.get(n);
  }

  /** Creates the table's tablet at `ts` (or replaces it, keeping the table number, for clears). */
  createTablet(name: string, component: string, ts: bigint, replace?: Tablet): Tablet {
    const system = name.startsWith("_");
    const number = replace?.tableNumber ?? (system ? this.nextSystemNumber++ : this.nextTableNumber++);
    const raw = this.rng.bytes(16);
    const t = new Tablet(
      Buffer.from(raw).toString("base64url"),
      Buffer.from(raw).toString("hex"),
      number,
      name,
      component,
      ts,
      system,
    );
    if (replace !== undefined) replace.deletedTs = ts;
    this.tablets.push(t);
    this.active.set(key(component, name), t);
    this.byNumber.set(number, t);
    return t;
  }

  /** Starts a transaction with one commit timestamp. */
  begin(): Txn {
    return new Txn(this, this.clock.commitTs());
  }

  /** Runs `fn` in one transaction; on a throw its writes are undone. */
  transact<T>(fn: (tx: Txn) => T): T {
    const tx = this.begin();
    try {
      return fn(tx);
    } catch (e) {
      tx.rollback();
      throw e;
    }
  }

  /** First log index with ts > `after`. */
  logIndexAfter(after: bigint): number {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.log[mid] as LogEntry).ts <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** What a write replaced, to undo it. */
class Undo {
  constructor(
    readonly tablet: Tablet,
    readonly id: string,
    /** The document's revision before the write (undefined: the write inserted it), and its texts then. */
    readonly head: Rev | undefined,
    readonly buf: Buffer | null,
    readonly start: number,
    readonly end: number,
    readonly clean: string | undefined,
    /** The write changed the index by these keys (false: the tablet had no index, or no keys were given). */
    readonly keyed: boolean,
    /** The index keys the write removed and added. */
    readonly before: string | undefined,
    readonly after: string | undefined,
  ) {}
}

/** Primary-key index keys of a document before and after a write (undefined: none/missing). */
export interface IndexKeys {
  before: string | undefined;
  after: string | undefined;
}

/** Encodes a document for storage: the lossless text, plus the clean text when it differs. */
export function encodeDoc(doc: ConvexObject): { text: string; clean: string | undefined } {
  const text = flatten(encodeFields(doc, "convex_encoded_json"));
  const clean = flatten(encodeFields(doc, "json"));
  return { text, clean: clean === text ? undefined : clean };
}

/** Index key of a document for the primary-key index; undefined if a key field is missing. */
export function indexKey(doc: ConvexObject, fields: string[][]): string | undefined {
  let out = "";
  for (const path of fields) {
    let v: Value | undefined = doc;
    for (const f of path) {
      v = typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) ? v[f] : undefined;
    }
    if (v === undefined) return undefined;
    out += `${encodeValue(v, "convex_encoded_json")}\u0001`;
  }
  return out;
}

/** A transaction: writes apply at once with its commit timestamp and can be rolled back. */
export class Txn {
  private readonly undo: Undo[] = [];
  /**
   * The revisions of `insertStored` and their index keys, undone without an `Undo` each: an import
   * makes thousands per transaction, and objects that live that long are costly to collect.
   */
  private readonly inserted: Rev[] = [];
  private readonly insertedKeys: (string | undefined)[] = [];
  private readonly logStart: number;
  private readonly created: Tablet[] = [];
  writes = 0;
  writeBytes = 0;
  private creation: number | undefined;
  private creationText: string | undefined;

  constructor(
    private readonly store: Store,
    readonly ts: bigint,
  ) {
    this.logStart = store.log.length;
  }

  table(name: string, component = ""): Tablet {
    const existing = this.store.getTable(name, component);
    if (existing !== undefined) return existing;
    const t = this.store.createTablet(name, component, this.ts);
    this.created.push(t);
    return t;
  }

  get(id: string, tablet: Tablet): ConvexObject | null {
    const head = tablet.docs.get(id);
    return head === undefined ? null : revDoc(head);
  }

  /** `_creationTime` of documents inserted by this transaction (its commit time in ms). */
  get creationTime(): number {
    this.creation ??= Number(this.ts / 1000n) / 1000;
    return this.creation;
  }

  /** The encoded text of `creationTime`. */
  get creationTimeText(): string {
    this.creationText ??= encodeValue(this.creationTime, "convex_encoded_json");
    return this.creationText;
  }

  /** A fresh document id in `tablet`, registered in its id list. */
  newId(tablet: Tablet): string {
    const id = newDocumentId(tablet.tableNumber, this.store.rng, this.store.clock.nowMs());
    tablet.addId(id);
    return id;
  }

  /** Inserts a document with fresh `_id`/`_creationTime` (or the given `_creationTime`). */
  insert(tablet: Tablet, fields: ConvexObject): string {
    const id = this.newId(tablet);
    const doc: ConvexObject = { ...fields, _id: id };
    if (typeof doc._creationTime !== "number") doc._creationTime = this.creationTime;
    this.write(tablet, id, doc);
    return id;
  }

  /** Writes the full document (must hold `_id`) or deletes it (`null`). */
  write(tablet: Tablet, id: string, doc: ConvexObject | null): void {
    const index = tablet.pkIndex;
    let keys: IndexKeys | undefined;
    if (index !== undefined) {
      const head = tablet.docs.get(id);
      const old = head === undefined ? null : head.text;
      const before = old === null ? undefined : indexKey(decodeFields(old), index.fields);
      keys = { before, after: doc === null ? undefined : indexKey(doc, index.fields) };
    }
    const enc = doc === null ? { text: null, clean: undefined } : encodeDoc(doc);
    this.writeText(tablet, id, enc.text, enc.clean, keys);
  }

  /** `writeStored` for a document encoded as a string (`text` null deletes it). */
  writeText(tablet: Tablet, id: string, text: string | null, clean: string | undefined, keys: IndexKeys | undefined): void {
    if (text === null) this.writeStored(tablet, id, null, 0, 0, 0, undefined, keys);
    else {
      const start = textChunks.append(text);
      this.writeStored(tablet, id, textChunks.buf, start, textChunks.pos, text.length, clean, keys);
    }
  }

  /**
   * Writes an already encoded document: its stored text is `buf[start, end)`, of UTF-16 length
   * `units` (`buf` null deletes it). `keys` are its primary-key index keys before and after the
   * write; they must be given when the tablet has an index.
   */
  writeStored(
    tablet: Tablet,
    id: string,
    buf: Buffer | null,
    start: number,
    end: number,
    units: number,
    clean: string | undefined,
    keys: IndexKeys | undefined,
  ): void {
    const head = tablet.docs.get(id);
    const index = tablet.pkIndex;
    if (index !== undefined && keys !== undefined && keys.before !== keys.after) {
      if (keys.before !== undefined) indexRemove(index, keys.before, id);
      if (keys.after !== undefined) indexAdd(index, keys.after, id);
    }
    const keyed = index !== undefined && keys !== undefined;
    if (head === undefined) this.undo.push(new Undo(tablet, id, undefined, null, 0, 0, undefined, keyed, keys?.before, keys?.after));
    else this.undo.push(new Undo(tablet, id, head, head.buf, head.start, head.end, head.clean, keyed, keys?.before, keys?.after));
    // A deletion counts as its id's length.
    const length = buf === null ? id.length : units;
    if (head !== undefined && head.ts === this.ts) {
      // A transaction commits one revision per document: rewrite it in place.
      head.buf = buf;
      head.start = start;
      head.end = end;
      head.clean = clean;
      this.counted(tablet, length);
    } else {
      this.append(new Rev(this.ts, buf, start, end, clean, head, tablet, id), length);
    }
  }

  /**
   * `writeStored` for a document with a fresh id from `newId` (nothing to look up or replace).
   * `keyIsNew`: no document holds index key `key`.
   */
  insertStored(
    tablet: Tablet,
    id: string,
    buf: Buffer,
    start: number,
    end: number,
    units: number,
    clean: string | undefined,
    key: string | undefined,
    keyIsNew: boolean,
  ): void {
    const index = tablet.pkIndex;
    if (index !== undefined && key !== undefined) {
      if (keyIsNew) index.entries.set(key, id);
      else indexAdd(index, key, id);
    }
    const rev = new Rev(this.ts, buf, start, end, clean, undefined, tablet, id);
    this.inserted.push(rev);
    this.insertedKeys.push(key);
    this.append(rev, units);
  }

  /** Makes `rev` its document's head and the log's newest entry. */
  private append(rev: Rev, length: number): void {
    rev.tablet.docs.set(rev.id, rev);
    this.store.log.push(rev);
    this.counted(rev.tablet, length);
  }

  private counted(tablet: Tablet, length: number): void {
    tablet.version++;
    tablet.newestTs = this.ts;
    this.writes++;
    this.writeBytes += length;
  }

  /** A write to a hidden system table (e.g. `_scheduled_functions`): never exported, but logged. */
  systemWrite(name: string): void {
    const tablet = this.table(name);
    this.insert(tablet, {});
  }

  rollback(): void {
    const removed = new Map<Tablet, Set<string>>();
    const remove = (tablet: Tablet, id: string) => {
      tablet.docs.delete(id);
      const set = removed.get(tablet) ?? new Set<string>();
      set.add(id);
      removed.set(tablet, set);
    };
    const rebuild = new Set<Tablet>();
    for (let i = this.undo.length - 1; i >= 0; i--) {
      const u = this.undo[i] as Undo;
      if (u.head === undefined) remove(u.tablet, u.id);
      else {
        u.tablet.docs.set(u.id, u.head);
        u.head.buf = u.buf;
        u.head.start = u.start;
        u.head.end = u.end;
        u.head.clean = u.clean;
      }
      u.tablet.version++;
      const index = u.tablet.pkIndex;
      if (index === undefined) continue;
      if (!u.keyed) rebuild.add(u.tablet);
      else if (u.before !== u.after) {
        // Undo this write's index change; writes are undone newest first, so this is exact.
        if (u.after !== undefined) indexRemove(index, u.after, u.id);
        if (u.before !== undefined) indexAdd(index, u.before, u.id);
      }
    }
    // Inserted documents last: the writes above that touched one came after its insert.
    for (let i = this.inserted.length - 1; i >= 0; i--) {
      const { tablet, id } = this.inserted[i] as Rev;
      remove(tablet, id);
      tablet.version++;
      const key = this.insertedKeys[i];
      if (tablet.pkIndex !== undefined && key !== undefined) indexRemove(tablet.pkIndex, key, id);
    }
    for (const [tablet, ids] of removed) tablet.removeIds(ids);
    for (const tablet of rebuild) if (tablet.pkIndex !== undefined) rebuildIndex(tablet, tablet.pkIndex);
    this.store.log.length = this.logStart;
    this.undo.length = 0;
    this.inserted.length = 0;
    this.insertedKeys.length = 0;
  }
}

/** Backfills an index from the tablet's current documents. */
export function rebuildIndex(tablet: Tablet, index: PkIndex): void {
  index.entries.clear();
  for (const [id, rev] of tablet.docs) {
    const text = rev.text;
    if (text === null) continue;
    const k = indexKey(decodeFields(text), index.fields);
    if (k !== undefined) indexAdd(index, k, id);
  }
}
