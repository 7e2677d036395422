/**
 * An import record between conversion and write: its member text lives as UTF-8 bytes in a
 * per-request arena (head members, then tail members), so that writing it copies them to the
 * stored text's bytes with the `_creationTime` and `_id` members between the two.
 */
import { writeAscii } from "./import-bytes.js";
import { textChunks } from "./text-chunks.js";

/** Field names starting with this are dropped from imported documents (CDC metadata). */
export const CDC_PREFIX = "source_ab_cdc";
export const CDC_DELETED = "source_ab_cdc_deleted_at";

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
  return new ImportRecord(table, headAt, tailAt, cursor, h.length + t.length, size, nesting, deleted, false, special, pkKey, pkMissing, indexKey);
}

const CT_MEMBER = '"_creationTime":';
const ID_MEMBER = ',"_id":"';

/** Length of the system members for this id and creation-time text (ASCII: bytes = characters). */
export function systemLength(id: string, ctText: string): number {
  return CT_MEMBER.length + ctText.length + ID_MEMBER.length + id.length + 1;
}

/**
 * Longest `"_creationTime":<ct>,"_id":"<id>"`: 16 + at most 25 (`{"$float":"…"}`) + 8 + at most 37
 * (an id with a 5-byte table number) + 1 = 87 bytes.
 */
const SYSTEM_MAX = 87;

let systemCt = "";
/** `"_creationTime":<systemCt>,"_id":"`: the same for every insert of a transaction. */
let systemHead = Buffer.alloc(0);

/** Writes the stored text of record `r` as document `id` created at `ctText` at arena offset `to`; returns its end. */
function renderAt(r: ImportRecord, id: string, ctText: string, to: number): number {
  if (ctText !== systemCt) {
    systemHead = Buffer.from(`${CT_MEMBER}${ctText}${ID_MEMBER}`, "latin1");
    systemCt = ctText;
  }
  // Most records have no head members (those sort before `_creationTime`).
  if (r.tailAt > r.headAt) arena.copyWithin(to, r.headAt, r.tailAt);
  let at = to + (r.tailAt - r.headAt);
  arena.set(systemHead, at);
  at = writeAscii(arena, at + systemHead.length, id);
  arena[at++] = 34;
  arena.copyWithin(at, r.tailAt, r.end);
  return at + (r.end - r.tailAt);
}

/**
 * Stores the texts of a request's records. Each is rendered in the arena after the records, and
 * the rendered texts go to the text chunks (text-chunks.ts) in one copy per chunk: a copy between
 * two buffers costs several times one inside a buffer, and a view of the arena for each would be
 * an object to collect.
 */
export class RecordTexts {
  /** Arena offsets: where rendering starts, the rendered texts not yet copied out [from, at), and scratch. */
  private readonly base: number;
  private from: number;
  private at: number;
  private readonly scratch: number;
  /** Where the last stored text is (`textChunks.buf[start, end)`), readable once flushed. */
  start = 0;
  end = 0;

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
    growArena(end + total + max, end);
    this.base = this.from = this.at = end;
    this.scratch = end + total;
  }

  /** Stores the text of record `r` as document `id` created at `ctText` (see `start` and `end`). */
  store(r: ImportRecord, id: string, ctText: string): void {
    const length = r.end - r.headAt + systemLength(id, ctText);
    if (textChunks.pos + (this.at - this.from) + length > textChunks.buf.length) {
      this.flush();
      textChunks.room(length);
    }
    this.start = textChunks.pos + (this.at - this.from);
    this.end = this.start + length;
    this.at = renderAt(r, id, ctText, this.at);
  }

  /** The text of record `r` as document `id` created at `ctText`, as a string (nothing is stored). */
  text(r: ImportRecord, id: string, ctText: string): string {
    return arena.toString("utf8", this.scratch, renderAt(r, id, ctText, this.scratch));
  }

  /** Copies the stored texts to the text chunks: they are readable from then on. */
  flush(): void {
    const n = this.at - this.from;
    if (n > 0) {
      textChunks.buf.set(arena.subarray(this.from, this.at), textChunks.pos);
      textChunks.pos += n;
    }
    this.from = this.at = this.base;
  }
}
