/**
 * An import record between conversion and write: its member text lives as UTF-8 bytes in a
 * per-request arena (head members, then tail members), so that writing it adds the `_creationTime`
 * and `_id` members between the two and decodes the bytes into the stored string.
 */
import { writeAscii } from "./import-bytes.js";
import type { Rev } from "./store.js";

/** Field names starting with this are dropped from imported documents (CDC metadata). */
export const CDC_PREFIX = "source_ab_cdc";
export const CDC_DELETED = "source_ab_cdc_deleted_at";

/**
 * Longest `"_creationTime":<ct>,"_id":"<id>"`: 16 + at most 25 (`{"$float":"…"}`) + 8 + at most 37
 * (an id with a 5-byte table number) + 1 = 87 bytes.
 */
const SYSTEM_MAX = 87;

/** Shrink back after a request that needed more than this. */
const ARENA_KEEP = 64 << 20;

let arena = Buffer.allocUnsafe(1 << 22);
/** Where the parsed path appends its next record. */
let cursor = 0;

export function arenaBuffer(): Buffer {
  return arena;
}

/** The arena grown to hold at least `size` bytes, its first `used` bytes kept. */
export function growArena(size: number, used: number): Buffer {
  if (size > arena.length) {
    const next = Buffer.allocUnsafe(Math.max(size, 2 * arena.length));
    arena.copy(next, 0, 0, used);
    arena = next;
  }
  return arena;
}

/** Called once a request's records are written: a huge arena is not kept for the next one. */
export function releaseArena(): void {
  if (arena.length > ARENA_KEEP) arena = Buffer.allocUnsafe(1 << 22);
  cursor = 0;
}

export class ImportRecord {
  constructor(
    /** Sanitized table name. */
    readonly table: string,
    /** Arena offset of the head members (`m,…,m,`: those sorting before `_creationTime`). */
    readonly headAt: number,
    /** Where the tail members (`,m,…,m`: those after `_id`) start and end. */
    readonly tailAt: number,
    readonly end: number,
    /** UTF-16 length of the head and tail (the stored string's length without the system members). */
    readonly units: number,
    /** All bytes are ASCII: Latin-1 decoding is exact (and faster than UTF-8). */
    readonly ascii: boolean,
    /** valueSize and valueNesting of the user fields (the `source_ab_cdc*` fields removed). */
    readonly size: number,
    readonly nesting: number,
    /** The CDC deleted flag is set (non-null). */
    readonly deleted: boolean,
    /** Set by the scanner when the stored text may have -0 or ±Infinity (as `{"$float":…}`). */
    readonly specialText: boolean,
    /** The parsed `data`, kept (parsed path only) when a value encodes differently in `json`. */
    readonly special: Record<string, unknown> | undefined,
    /** Index key for the stream's primary key; the first primary-key path that is missing (or -1). */
    readonly pkKey: string | undefined,
    readonly pkMissing: number,
    /** Index key for the table's primary-key index fields (when the table has that index). */
    readonly indexKey: string | undefined,
  ) {}
}

/** Starts a request's records at the arena's start (the parsed path; the scanner keeps its own). */
export function resetArena(): void {
  cursor = 0;
}

/** Appends a record given as text (the parsed path): `head`/`tail` are the joined member texts. */
export function appendRecord(
  table: string,
  head: string,
  tail: string,
  size: number,
  nesting: number,
  deleted: boolean,
  special: Record<string, unknown> | undefined,
  pkKey: string | undefined,
  pkMissing: number,
  indexKey: string | undefined,
): ImportRecord {
  const h = head === "" ? "" : `${head},`;
  const t = tail === "" ? "" : `,${tail}`;
  const hBytes = Buffer.byteLength(h);
  const tBytes = Buffer.byteLength(t);
  const buf = growArena(cursor + hBytes + tBytes, cursor);
  const headAt = cursor;
  buf.write(h, headAt, "utf8");
  const tailAt = headAt + hBytes;
  buf.write(t, tailAt, "utf8");
  cursor = tailAt + tBytes;
  const ascii = hBytes === h.length && tBytes === t.length;
  return new ImportRecord(table, headAt, tailAt, cursor, h.length + t.length, ascii, size, nesting, deleted, false, special, pkKey, pkMissing, indexKey);
}

const CT_MEMBER = '"_creationTime":';
const ID_MEMBER = ',"_id":"';

/** Length of the system members for this id and creation-time text (ASCII: bytes = characters). */
export function systemLength(id: string, ctText: string): number {
  return CT_MEMBER.length + ctText.length + ID_MEMBER.length + id.length + 1;
}

let systemCt = "";
/** `"_creationTime":<systemCt>,"_id":"`: the same for every insert of a transaction. */
let systemHead = Buffer.alloc(0);

/** Writes the stored text of record `r` as document `id` created at `ctText` at `to`; returns its end. */
function renderAt(buf: Buffer, r: ImportRecord, id: string, ctText: string, to: number): number {
  if (ctText !== systemCt) {
    systemHead = Buffer.from(`${CT_MEMBER}${ctText}${ID_MEMBER}`, "latin1");
    systemCt = ctText;
  }
  buf.copyWithin(to, r.headAt, r.tailAt);
  let at = to + (r.tailAt - r.headAt);
  buf.set(systemHead, at);
  at = writeAscii(buf, at + systemHead.length, id);
  buf[at++] = 34;
  buf.copyWithin(at, r.tailAt, r.end);
  return at + (r.end - r.tailAt);
}

/**
 * Renders a request's stored texts. The texts of inserted documents are deferred: written to one
 * of two arena regions (ASCII, and the rest) and decoded at `flush` as one string per region,
 * which each document's text then slices. One large string goes straight to the old generation,
 * where thousands of small ones would each be copied by the young-generation GC.
 */
export class TextRenderer {
  private readonly scratch: number;
  private readonly ascii: Region;
  private readonly other: Region;

  constructor(records: readonly ImportRecord[]) {
    let end = 0;
    let total = 0;
    let max = 0;
    for (const r of records) {
      const n = r.end - r.headAt + SYSTEM_MAX;
      total += n;
      if (n > max) max = n;
      if (r.end > end) end = r.end;
    }
    growArena(end + 2 * total + max, end);
    this.ascii = new Region(end, "latin1");
    this.other = new Region(end + total, "utf8");
    this.scratch = end + 2 * total;
  }

  /** The stored text of `r` as document `id` created at `ctText`, now. */
  text(r: ImportRecord, id: string, ctText: string): string {
    const end = renderAt(arena, r, id, ctText, this.scratch);
    return arena.toString(r.ascii ? "latin1" : "utf8", this.scratch, end);
  }

  /** Renders the stored text of `r` for `rev` (of length r.units + systemLength), set at `flush`. */
  defer(r: ImportRecord, id: string, ctText: string, rev: Rev): void {
    const region = r.ascii ? this.ascii : this.other;
    const end = renderAt(arena, r, id, ctText, region.end);
    region.add(rev, end, r.units + systemLength(id, ctText));
  }

  /** Sets the texts of the deferred documents. */
  flush(): void {
    this.ascii.flush();
    this.other.flush();
  }
}

class Region {
  private start: number;
  end: number;
  private revs: Rev[] = [];
  /** Per document: its byte end and its UTF-16 length. */
  private ends: number[] = [];
  private lengths: number[] = [];
  private chars = 0;

  constructor(
    at: number,
    private readonly encoding: "latin1" | "utf8",
  ) {
    this.start = at;
    this.end = at;
  }

  add(rev: Rev, end: number, length: number): void {
    this.revs.push(rev);
    this.ends.push(end);
    this.lengths.push(length);
    this.chars += length;
    this.end = end;
  }

  flush(): void {
    const n = this.revs.length;
    if (n === 0) return;
    const all = arena.toString(this.encoding, this.start, this.end);
    if (all.length === this.chars) {
      let at = 0;
      for (let k = 0; k < n; k++) {
        const len = this.lengths[k] as number;
        (this.revs[k] as Rev).text = all.slice(at, at + len);
        at += len;
      }
    } else {
      // Cannot happen (the lengths are counted exactly); decoding each text alone is always right.
      let from = this.start;
      for (let k = 0; k < n; k++) {
        const to = this.ends[k] as number;
        (this.revs[k] as Rev).text = arena.toString(this.encoding, from, to);
        from = to;
      }
    }
    this.start = this.end;
    this.revs = [];
    this.ends = [];
    this.lengths = [];
    this.chars = 0;
  }
}

